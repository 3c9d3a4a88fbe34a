/**
 * A worker killed mid-deployment (SIGKILL, no goodbye) loses nothing: another worker picks the
 * deployment up, the interrupted step is retried with the same idempotency key, and every
 * resource exists exactly once.
 */
import { callsOf, useWorld } from '../support/world';
import { spawnWorker, type WorkerProcess } from '../support/worker-process';
import { waitFor } from '../support/wait';

describe('worker crash', () => {
  const world = useWorld('crash', { worker: false });
  const workers: WorkerProcess[] = [];
  // Worker processes are stopped (by PID) before the world closes in afterAll.
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.process.stop({ graceMs: 5_000 });
  });

  it('completes after the worker is killed while a service is being applied, creating each resource once', async () => {
    const first = await spawnWorker({ taskQueue: world.taskQueue, simCloudUrl: world.simCloudUrl, home: world.stateDir });
    workers.push(first);
    const manifest = world.manifest([
      { name: 'db', type: 'terraform', simulate: { duration: '10ms' } },
      { name: 'backend', type: 'kubernetes', dependencies: ['db'], simulate: { duration: '10ms' } },
      { name: 'web', type: 'kubernetes', dependencies: ['backend'], simulate: { duration: '10ms' } },
    ]);
    const { handle, deploymentId } = await world.startHeld('backend', 'apply', () => world.deploy(manifest));

    first.process.kill('SIGKILL');
    const exit = await first.process.exited;
    expect(exit.signal).toBe('SIGKILL');

    workers.push(await spawnWorker({ taskQueue: world.taskQueue, simCloudUrl: world.simCloudUrl, home: world.stateDir }));
    // The new worker retries the step once the dead one's heartbeat times out.
    await waitFor(async () => callsOf(await world.cloud.calls(), 'backend', 'apply').length >= 2, {
      timeoutMs: 60_000,
      what: 'the retried apply to reach the cloud',
    });
    await world.cloud.release('backend', 'apply');

    const result = await handle.result();
    expect(result.phase).toBe('SUCCEEDED');
    const resources = (await world.cloud.resources()).filter((r) => r.deploymentId === deploymentId);
    expect(resources.map((r) => r.service).sort()).toEqual(['backend', 'db', 'web']);
    const outcomes = callsOf(await world.cloud.calls(), 'backend', 'apply').map((c) => c.outcome);
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'repeat').length).toBeGreaterThanOrEqual(1);
    expect(outcomes.every((o) => o === 'created' || o === 'repeat')).toBe(true);
  });
});
