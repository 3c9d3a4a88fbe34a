/**
 * Many workers, one platform: with the PostgreSQL state store, a deployment applied by a worker on
 * one machine is rolled back by a worker on another. Each worker process has its own TUGBOAT_HOME
 * (nothing on disk is shared); the rollback manifest, the ledger and the records are in PostgreSQL,
 * so the second worker restores what the first one replaced.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ServiceInput } from '../../src/manifest/schema';
import { runCommand } from '../../src/system/process';
import { failedResult } from '../support/failures';
import { dropSchemas, testStateUrl, uniqueSchema, withPostgres } from '../support/postgres';
import { callsOf, useWorld } from '../support/world';
import { spawnWorker, type WorkerProcess } from '../support/worker-process';

const CLI = path.resolve(__dirname, '..', '..', 'bin', 'tugboat.js');

const release = (version: string, failing?: string): ServiceInput[] => [
  { name: 'api', type: 'kubernetes', version, simulate: { duration: '10ms' } },
  { name: 'web', type: 'kubernetes', version, dependencies: ['api'], simulate: { duration: '10ms', fail_permanent: failing === 'web' } },
];

describe('rollback on another worker (PostgreSQL state store)', () => {
  const world = useWorld('xworker', { worker: false });
  const schema = uniqueSchema('xw');
  /** Worker 1's, worker 2's and the CLI's TUGBOAT_HOME. */
  const homes = [1, 2, 3].map((n) => fs.mkdtempSync(path.join(os.tmpdir(), `tugboat-xworker-home${n}-`)));
  const stateEnv = { TUGBOAT_STATE: testStateUrl(schema) };
  const workers: WorkerProcess[] = [];
  const spawn = async (home: string) => {
    const worker = await spawnWorker({ taskQueue: world.taskQueue, simCloudUrl: world.simCloudUrl, home, env: stateEnv });
    workers.push(worker);
    return worker;
  };

  // Worker processes are stopped (by PID) before the world closes in afterAll.
  afterAll(async () => {
    for (const w of workers.splice(0)) await w.process.stop({ graceMs: 5_000 });
    for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
    await dropSchemas(schema);
  });

  it('restores the previous version on worker 2 after the worker that applied it died', async () => {
    const first = await spawn(homes[0]);
    const v1 = await world.deploy(world.manifest(release('1.0.0')));
    expect((await v1.handle.result()).phase).toBe('SUCCEEDED');

    // v2: api is updated on worker 1; web (held, then failing) keeps the deployment going until
    // worker 1 is gone, so the rollback can only run on worker 2.
    const { handle, deploymentId } = await world.startHeld('web', 'apply', () => world.deploy(world.manifest(release('2.0.0', 'web'))));
    expect((await world.cloud.getService('api'))?.version).toBe('2.0.0');
    first.process.kill('SIGKILL');
    expect((await first.process.exited).signal).toBe('SIGKILL');
    await world.cloud.release('web', 'apply');

    await spawn(homes[1]);
    const { result } = await failedResult(handle.result());
    expect(result.phase).toBe('ROLLED_BACK');
    expect(result.orphans).toEqual([]);
    expect((await world.cloud.getService('api'))?.version).toBe('1.0.0');
    const restores = callsOf(await world.cloud.calls({ op: 'compensate' }), 'api', 'compensate').filter((c) => c.deploymentId === deploymentId);
    expect(restores.map((c) => c.outcome)).toContain('restored');

    // Everything either worker stored is in PostgreSQL; neither home has a state directory.
    for (const home of homes.slice(0, 2)) expect(fs.existsSync(path.join(home, 'state'))).toBe(false);
    const stored = await withPostgres(async (client) => ({
      manifests: (await client.query(`SELECT 1 FROM "${schema}".rollback_manifests WHERE deployment_id = $1`, [deploymentId])).rowCount,
      phases: (await client.query(`SELECT record->>'phase' AS phase FROM "${schema}".deployment_records WHERE deployment_id = $1`, [deploymentId])).rows,
    }));
    expect(stored).toEqual({ manifests: 1, phases: [{ phase: 'ROLLED_BACK' }] });

    // The CLI on a third machine (a TUGBOAT_HOME of its own) reads the same history.
    const history = await runCommand([process.execPath, CLI, 'history', `${world.name}/test`, '--json'], {
      env: { ...process.env, ...stateEnv, TUGBOAT_HOME: homes[2] },
    });
    expect(history.code).toBe(0);
    const listed = (JSON.parse(history.stdout) as { deployments: Array<{ id: string; phase: string }> }).deployments;
    expect(listed.map((d) => `${d.id} ${d.phase}`)).toEqual([`${deploymentId} ROLLED_BACK`, `${v1.deploymentId} SUCCEEDED`]);
  });
});
