/**
 * Rollbacks that survive the worst: the rollback manifest is stored before anything is touched
 * (or nothing is), a worker killed in the middle of a compensation, and a worker killed between
 * recording an intent and confirming it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { IntentEntry } from '../../src/state';
import { FileStateStore } from '../../src/state';
import { rollbackSignal } from '../../src/api/messages';
import type { ServiceInput } from '../../src/manifest/schema';
import { callsOf, createWorld, useWorld, type World } from '../support/world';
import { failedResult } from '../support/failures';
import { spawnWorker, type WorkerProcess } from '../support/worker-process';
import { waitFor } from '../support/wait';

const trio = (failing?: string): ServiceInput[] => [
  { name: 'net', type: 'terraform', simulate: { duration: '10ms' } },
  { name: 'api', type: 'kubernetes', dependencies: ['net'], simulate: { duration: '10ms' } },
  { name: 'web', type: 'kubernetes', dependencies: ['api'], simulate: { duration: '10ms', fail_permanent: failing === 'web' } },
];

describe('rollback manifest', () => {
  let world: World;
  beforeAll(async () => {
    // The state store's directory is a regular file: nothing can be stored under it.
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'tugboat-blocked-store-'));
    const notADirectory = path.join(dir, 'state');
    fs.writeFileSync(notADirectory, 'not a directory');
    world = await createWorld('nostore', { storeDir: notADirectory });
  });
  afterAll(() => world?.close());

  it('cannot be stored → the deployment fails and nothing reaches the cloud', async () => {
    const { handle } = await world.deploy(world.manifest(trio()));
    const { failure, result } = await failedResult(handle.result());
    expect(result.phase).toBe('FAILED');
    expect(failure.message).toMatch(/^nothing was deployed: could not store the rollback manifest/);
    expect(Object.values(result.services).map((s) => s.state)).toEqual(['SKIPPED', 'SKIPPED', 'SKIPPED']);
    expect(await world.cloud.calls()).toEqual([]);
  });
});

describe('worker crashes during a rollback', () => {
  const world = useWorld('rbcrash', { worker: false });
  const workers: WorkerProcess[] = [];
  const spawn = async () => {
    const w = await spawnWorker({ taskQueue: world.taskQueue, simCloudUrl: world.simCloudUrl, home: world.stateDir });
    workers.push(w);
    return w;
  };
  const kill = async (w: WorkerProcess) => {
    w.process.kill('SIGKILL');
    expect((await w.process.exited).signal).toBe('SIGKILL');
  };
  // Each test starts from no worker: a survivor of the previous test would retry its steps.
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.process.stop({ graceMs: 5_000 });
  });

  it('a compensation interrupted by SIGKILL runs once; nothing is orphaned', async () => {
    const first = await spawn();
    await world.cloud.hold('api', 'compensate');
    const { handle, deploymentId } = await world.deploy(world.manifest(trio('web'), { environment: 'compensate' }));
    await world.cloud.waitUntilHeld('api', 'compensate');
    await kill(first);
    await spawn();
    // The retried compensation (same idempotency key) reaches the cloud after the heartbeat timeout.
    await waitFor(async () => callsOf(await world.cloud.calls(), 'api', 'compensate').length >= 2, {
      timeoutMs: 60_000,
      what: 'the retried compensation',
    });
    await world.cloud.release('api', 'compensate');

    const { result } = await failedResult(handle.result());
    expect(result.phase).toBe('ROLLED_BACK');
    expect(result.orphans).toEqual([]);
    const outcomes = callsOf(await world.cloud.calls(), 'api', 'compensate').map((c) => c.outcome);
    expect(outcomes.filter((o) => o === 'deleted')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'deleted').every((o) => o === 'repeat')).toBe(true);
    expect((await world.cloud.resources()).filter((r) => r.deploymentId === deploymentId)).toEqual([]);
  });

  it('a crash between intent and confirmation leaves the resource in the ledger, and the rollback removes it', async () => {
    const first = await spawn();
    await world.cloud.hold('api', 'apply');
    const { handle, deploymentId } = await world.deploy(world.manifest(trio(), { environment: 'intent' }));
    await world.cloud.waitUntilHeld('api', 'apply');
    await kill(first);
    // The cloud finishes the apply the dead worker asked for: a resource exists that no
    // confirmation ever recorded.
    await world.cloud.release('api', 'apply');
    await waitFor(async () => (await world.cloud.resources()).some((r) => r.service === 'api' && r.deploymentId === deploymentId), {
      what: 'the orphan-to-be',
    });
    const store = new FileStateStore(path.join(world.stateDir, 'state'));
    const apiApply = (await store.listIntents(deploymentId)).find((e: IntentEntry) => e.service === 'api' && e.step === 'apply');
    expect(apiApply).toMatchObject({ status: 'intent', attempt: 1 });

    await handle.signal(rollbackSignal, { reason: 'abandon after crash' });
    await spawn();
    const result = await handle.result();
    expect(result.phase).toBe('ROLLED_BACK');
    expect(result.orphans).toEqual([]);
    expect((await world.cloud.resources()).filter((r) => r.deploymentId === deploymentId)).toEqual([]);
  });
});
