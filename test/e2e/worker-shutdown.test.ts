/**
 * A worker stopped with SIGTERM (a rolling restart) stops cleanly: a step that finishes within
 * the grace period completes on it; one that does not is handed back and continued by another
 * worker without spending one of the service's attempts — with `max_attempts: 1`, a spent attempt
 * would fail the deployment. Either way the process exits 0 soon after the grace period.
 */
import path from 'node:path';
import { idempotencyKey } from '../../src/api/workflow-types';
import type { ServiceInput } from '../../src/manifest/schema';
import { FileStateStore } from '../../src/state';
import { callsOf, progressOf, useWorld, type World } from '../support/world';
import { spawnWorker, type WorkerProcess } from '../support/worker-process';
import { waitFor } from '../support/wait';

/** Exiting takes the grace period plus reporting the hand-back and closing the connection. */
const EXIT_MARGIN_MS = 15_000;

const services: ServiceInput[] = [
  { name: 'db', type: 'terraform', simulate: { duration: '10ms' } },
  // One attempt: the interrupted one must not count, or the deployment fails and rolls back.
  { name: 'backend', type: 'kubernetes', dependencies: ['db'], retry: { max_attempts: 1 }, simulate: { duration: '10ms' } },
];

/** Worker processes are stopped (by PID) before the world closes in afterAll. */
function useWorkers(world: World) {
  const started: WorkerProcess[] = [];
  afterEach(async () => {
    for (const w of started.splice(0)) await w.process.stop({ graceMs: 5_000 });
  });
  return async (grace: string): Promise<WorkerProcess> => {
    const worker = await spawnWorker({
      taskQueue: world.taskQueue,
      simCloudUrl: world.simCloudUrl,
      home: world.stateDir,
      args: ['--grace', grace],
    });
    started.push(worker);
    return worker;
  };
}

/** SIGTERM, then poll until the process has exited: its exit and how long it took. */
async function terminate(worker: WorkerProcess, timeoutMs: number) {
  let exit: Awaited<WorkerProcess['process']['exited']> | undefined;
  void worker.process.exited.then((e) => (exit = e));
  const since = Date.now();
  worker.process.kill('SIGTERM');
  await waitFor(() => exit, { timeoutMs, what: 'the worker to exit after SIGTERM' });
  return { exit: exit!, tookMs: Date.now() - since };
}

async function attemptRecords(world: World, deploymentId: string) {
  const store = new FileStateStore(path.join(world.stateDir, 'state'));
  return store.listAttempts(deploymentId, idempotencyKey(deploymentId, 'backend', 'apply'));
}

describe('worker shutdown: a step that outlives the grace period', () => {
  const world = useWorld('shutdown-handback', { worker: false });
  const spawn = useWorkers(world);

  it('is handed back and finished by the replacement worker without spending an attempt; the worker exits 0', async () => {
    // Longer than stopping takes anyway (about a second), so the test sees the grace honoured.
    const graceMs = 3_000;
    const first = await spawn('3s');
    const { handle, deploymentId } = await world.startHeld('backend', 'apply', () => world.deploy(world.manifest(services)));

    const { exit, tookMs } = await terminate(first, graceMs + EXIT_MARGIN_MS);
    process.stdout.write(`worker-shutdown: SIGTERM to exit with a held step and --grace 3s: ${tookMs} ms\n`);
    expect(exit).toEqual({ code: 0, signal: null });
    // The step was given its grace period before it was handed back.
    expect(tookMs).toBeGreaterThanOrEqual(graceMs);
    expect(first.output.some((l) => l.includes('worker stopping') && l.includes('1 step(s) in flight'))).toBe(true);
    expect(first.output.some((l) => l.includes('worker stopped cleanly'))).toBe(true);
    expect(await attemptRecords(world, deploymentId)).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'interrupted', service: 'backend', step: 'apply' }),
    ]);

    // Rolling restart: the replacement picks the handed-back step up.
    await spawn('1s');
    await waitFor(async () => callsOf(await world.cloud.calls(), 'backend', 'apply').length >= 2, {
      timeoutMs: 30_000,
      what: 'the handed-back apply to reach the cloud again',
    });
    await world.cloud.release('backend', 'apply');

    const result = await handle.result();
    expect(result.phase).toBe('SUCCEEDED');
    const calls = await world.cloud.calls();
    for (const service of ['db', 'backend']) {
      expect(callsOf(calls, service, 'apply').filter((c) => c.outcome === 'created')).toHaveLength(1);
    }
    // No attempt was recorded as failed: the only one spent is the one that succeeded.
    expect((await attemptRecords(world, deploymentId)).map((r) => r.outcome)).toEqual(['interrupted']);
    expect((await progressOf(handle)).services.backend.steps?.apply).toEqual({ attempts: 1 });
  });
});

describe('worker shutdown: a step that finishes within the grace period', () => {
  const world = useWorld('shutdown-finish', { worker: false });
  const spawn = useWorkers(world);

  it('completes on the stopping worker, which then exits 0 without waiting out the grace period', async () => {
    const graceMs = 60_000;
    const first = await spawn('60s');
    const { handle, deploymentId } = await world.startHeld('backend', 'apply', () => world.deploy(world.manifest(services)));

    let exit: Awaited<WorkerProcess['process']['exited']> | undefined;
    void first.process.exited.then((e) => (exit = e));
    first.process.kill('SIGTERM');
    await waitFor(() => first.output.some((l) => l.includes('worker stopping')), { what: 'the worker to say it is stopping' });
    const released = Date.now();
    await world.cloud.release('backend', 'apply');
    await waitFor(() => exit, { timeoutMs: EXIT_MARGIN_MS, what: 'the worker to exit once its step finished' });
    process.stdout.write(`worker-shutdown: release to exit with --grace 60s: ${Date.now() - released} ms\n`);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - released).toBeLessThan(graceMs);

    await spawn('1s');
    const result = await handle.result();
    expect(result.phase).toBe('SUCCEEDED');
    const applies = callsOf(await world.cloud.calls(), 'backend', 'apply');
    expect(applies.map((c) => c.outcome)).toEqual(['created']);
    expect(await attemptRecords(world, deploymentId)).toEqual([]);
  });
});
