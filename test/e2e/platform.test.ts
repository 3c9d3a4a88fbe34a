/**
 * examples/platform end to end, with real OpenTofu, real scripts and a real HTTP service: the
 * release deploys (OpenTofu outputs feeding the shell steps), the failing release rolls all of it
 * back in reverse dependency order to what it was, and on a fresh environment it leaves nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { healthQuery } from '../../src/api/messages';
import { progressOf, useWorld } from '../support/world';
import { deployFile } from '../support/release-file';
import { copyPlatformExample, type PlatformCopy } from '../support/platform-copy';
import { isProcessRunning } from '../../src/system/process-group';
import { waitFor } from '../support/wait';

describe('examples/platform', () => {
  const world = useWorld('platform');
  const copies: PlatformCopy[] = [];
  afterAll(() => {
    for (const copy of copies) {
      copy.stopWeb();
      copy.remove();
    }
  });
  const newCopy = async (name: string) => {
    const copy = await copyPlatformExample(name);
    copies.push(copy);
    return copy;
  };

  const deploy = async (copy: PlatformCopy, file: string) => {
    const started = await deployFile(world, copy.manifest(file));
    // A deployment that rolled back ends as a failed workflow: its story is in the progress query.
    await started.handle.result().catch(() => undefined);
    return { ...started, result: await progressOf(started.handle) };
  };
  const version = async (copy: PlatformCopy) => (await fetch(`http://127.0.0.1:${copy.port}/version`)).text();
  const serviceState = (name: string, service: string) =>
    path.join(world.stateDir, 'state', 'services', `${name}.demo`, `${service}.json`);
  const migrations = (copy: PlatformCopy) => fs.readdirSync(path.join(copy.dir, '.state', 'migrations')).sort();

  let example: PlatformCopy;
  beforeAll(async () => {
    example = await newCopy(world.name);
  });

  it('deploys the release: OpenTofu outputs feed the migration and the web service passes its health check', async () => {
    const { result } = await deploy(example, 'release.yaml');
    expect(result.phase).toBe('SUCCEEDED');
    const endpoint = result.services.database.outputs.endpoint;
    expect(endpoint).toMatch(/^db-[0-9a-f]{8}\.internal:5432$/);
    // The migration got the database's endpoint through ${{ services.database.outputs.endpoint }}.
    expect(fs.readFileSync(path.join(example.dir, '.state', 'migrations', 'schema-3.applied'), 'utf8').trim()).toBe(endpoint);
    expect(result.services.network.outputs.cidr).toBe('10.20.0.0/16');
    expect(await version(example)).toBe('1.4.0');
    // The web service's own health_check was probed after its script said it started.
    const health = await world.client.workflow.getHandle(`deploy-${world.name}.demo`).query(healthQuery);
    expect(health.services.web.detail).toContain(`GET http://127.0.0.1:${example.port}/health → 200`);
    expect(JSON.parse(fs.readFileSync(serviceState(world.name, 'network'), 'utf8'))).toMatchObject({ version: '1.0.0' });
  });

  it('rolls the failing release back in reverse order to the previous release, with no orphans', async () => {
    const { result } = await deploy(example, 'release-failure.yaml');
    expect(result.phase).toBe('ROLLED_BACK');
    // The failed smoke test is compensated first like every started service; it has no undo, so it is retained.
    expect(result.services.smoke.state).toBe('RETAINED');
    expect(result.services.smoke.error?.message).toContain('expected version 9.9.9, the service runs 1.5.0');
    expect(result.rollback?.order).toEqual(['smoke', 'web', 'migrate', 'database', 'network']);
    expect(result.orphans).toEqual([]);
    expect(result.unverifiable ?? []).toEqual([]);
    // A permanent failure is not retried, though the smoke test allows two attempts.
    expect(result.services.smoke.steps?.apply?.attempts).toBe(1);
    // Each restored to what the previous release left: web 1.4.0 answers again, schema 3, network 1.0.0.
    await waitFor(async () => (await version(example).catch(() => undefined)) === '1.4.0', { what: 'web 1.4.0 to answer again' });
    expect(migrations(example)).toEqual(['schema-3.applied']);
    expect(JSON.parse(fs.readFileSync(serviceState(world.name, 'network'), 'utf8'))).toMatchObject({ version: '1.0.0' });
  });

  it('on a fresh environment, the failing release leaves nothing behind', async () => {
    const fresh = await newCopy(`${world.name}-fresh`);
    const { result } = await deploy(fresh, 'release-failure.yaml');
    expect(result.phase).toBe('ROLLED_BACK');
    expect(result.rollback?.order).toEqual(['smoke', 'web', 'migrate', 'database', 'network']);
    expect(result.orphans).toEqual([]);
    for (const service of ['network', 'database', 'migrate', 'web']) {
      expect(fs.existsSync(serviceState(`${world.name}-fresh`, service))).toBe(false);
    }
    expect(migrations(fresh)).toEqual([]);
    const pid = fresh.webPid();
    if (pid !== undefined) await waitFor(() => !isProcessRunning(pid), { what: 'the rolled-back web service to exit' });
    await expect(fetch(`http://127.0.0.1:${fresh.port}/health`)).rejects.toThrow();
  });
});
