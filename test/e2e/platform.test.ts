/**
 * examples/platform end to end, with real OpenTofu, real scripts, a real HTTP service, and real
 * kubectl and Helm against the suite's Kubernetes dev cluster: the release deploys (OpenTofu outputs
 * feeding the shell steps and the backend's ConfigMap), the failing release (its frontend cannot be
 * scheduled) rolls all of it back in reverse dependency order to what it was, and on a fresh
 * environment it leaves nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { healthQuery } from '../../src/api/messages';
import { progressOf, useWorld } from '../support/world';
import { deployFile } from '../support/release-file';
import { copyPlatformExample, type PlatformCopy } from '../support/platform-copy';
import { isProcessRunning } from '../../src/system/process-group';
import { waitFor } from '../support/wait';
import { runCommand } from '../../src/system/process';
import { helmPath, kubeEnv, kubectlPath } from '../support/kube-env';

interface K8sList<T> {
  items: T[];
}
interface Workload {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { template: { spec: { containers: Array<{ image: string }> } } };
}

/**
 * Reverse dependency order: each service is undone before what it stood on. (web and the
 * frontend/backend branch are independent: either may go first.)
 */
function expectReverseDependencyOrder(order: string[] | undefined): void {
  expect([...(order ?? [])].sort()).toEqual(['backend', 'database', 'frontend', 'migrate', 'network', 'web']);
  const before = (a: string, b: string) => expect([a, b, order!.indexOf(a) < order!.indexOf(b)]).toEqual([a, b, true]);
  before('frontend', 'backend');
  before('backend', 'migrate');
  before('web', 'migrate');
  before('migrate', 'database');
  before('database', 'network');
}

describe('examples/platform', () => {
  const world = useWorld('platform');
  const copies: PlatformCopy[] = [];
  afterAll(async () => {
    for (const copy of copies) {
      copy.stopWeb();
      copy.remove();
      await runCommand([kubectlPath(), 'delete', 'namespace', copy.namespace, '--wait=false', '--ignore-not-found'], { env: kubeEnv() });
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
  const kubectl = async (copy: PlatformCopy, ...args: string[]) => {
    const r = await runCommand([kubectlPath(), '--namespace', copy.namespace, ...args], { env: kubeEnv() });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** Each Deployment in the copy's namespace → its first container's image. */
  const images = async (copy: PlatformCopy) => {
    const list = JSON.parse(await kubectl(copy, 'get', 'deployments', '-o', 'json')) as K8sList<Workload>;
    return Object.fromEntries(list.items.map((d) => [d.metadata.name, d.spec.template.spec.containers[0].image]));
  };
  const helmHistory = async (copy: PlatformCopy) => {
    const r = await runCommand([helmPath(), 'history', 'frontend', '--namespace', copy.namespace, '-o', 'json'], { env: kubeEnv() });
    return r.code === 0 ? (JSON.parse(r.stdout) as Array<{ revision: number; status: string; app_version: string }>) : [];
  };

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

    // Kubernetes: the backend's image tagged with its version, the database endpoint in its ConfigMap
    // (an OpenTofu output), the frontend's chart installed with its version as image.tag.
    expect(await images(example)).toEqual({
      backend: 'registry.example.com/platform/backend:2.3.1',
      frontend: 'registry.example.com/platform/frontend:1.8.0',
    });
    const config = JSON.parse(await kubectl(example, 'get', 'configmap', 'backend-config', '-o', 'json')) as { data: Record<string, string> };
    expect(config.data.DATABASE_URL).toBe(endpoint);
    expect((await helmHistory(example)).map((h) => h.status)).toEqual(['deployed']);
    expect(result.services.frontend.outputs).toMatchObject({ release: 'frontend', namespace: example.namespace, revision: '1' });
  });

  it('rolls the failing release back in reverse order to the previous release, with no orphans', async () => {
    const { result } = await deploy(example, 'release-failure.yaml');
    expect(result.phase).toBe('ROLLED_BACK');
    // The frontend's new pods fit no node: helm's --wait runs out, permanently (not retried), with the reason.
    expect(result.services.frontend.error?.message).toMatch(/not ready|Unschedulable|timed out/i);
    expect(result.services.frontend.steps?.apply?.attempts).toBe(1);
    expect(result.services.smoke.state).toBe('SKIPPED');
    expectReverseDependencyOrder(result.rollback?.order);
    expect(result.orphans).toEqual([]);
    expect(result.unverifiable ?? []).toEqual([]);
    // Each restored to what the previous release left: web 1.4.0 answers again, schema 3, network 1.0.0,
    await waitFor(async () => (await version(example).catch(() => undefined)) === '1.4.0', { what: 'web 1.4.0 to answer again' });
    expect(migrations(example)).toEqual(['schema-3.applied']);
    expect(JSON.parse(fs.readFileSync(serviceState(world.name, 'network'), 'utf8'))).toMatchObject({ version: '1.0.0' });
    // the backend's Deployment back on 2.3.1 and the frontend's release rolled back to revision 1.
    expect(await images(example)).toEqual({
      backend: 'registry.example.com/platform/backend:2.3.1',
      frontend: 'registry.example.com/platform/frontend:1.8.0',
    });
    const history = await helmHistory(example);
    expect(history.map((h) => h.status)).toEqual(['superseded', 'failed', 'deployed']);
  });

  it('on a fresh environment, the failing release leaves nothing behind', async () => {
    const fresh = await newCopy(`${world.name}-fresh`);
    const { result } = await deploy(fresh, 'release-failure.yaml');
    expect(result.phase).toBe('ROLLED_BACK');
    expectReverseDependencyOrder(result.rollback?.order);
    expect(result.orphans).toEqual([]);
    // Helm uninstalled; the backend's objects deleted; the namespace it created on its way out.
    expect(await helmHistory(fresh)).toEqual([]);
    const left = JSON.parse(await kubectl(fresh, 'get', 'deployments,services,configmaps,secrets', '-l', 'app.kubernetes.io/managed-by=tugboat', '-o', 'json')) as K8sList<Workload>;
    expect(left.items).toEqual([]);
    for (const service of ['network', 'database', 'migrate', 'web']) {
      expect(fs.existsSync(serviceState(`${world.name}-fresh`, service))).toBe(false);
    }
    expect(migrations(fresh)).toEqual([]);
    const pid = fresh.webPid();
    if (pid !== undefined) await waitFor(() => !isProcessRunning(pid), { what: 'the rolled-back web service to exit' });
    await expect(fetch(`http://127.0.0.1:${fresh.port}/health`)).rejects.toThrow();
  });
});
