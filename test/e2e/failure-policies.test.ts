/**
 * Failure policies on a real server (strategy.on_failure): halt keeps what succeeded and waits
 * for retry_service, rollback or accept; continue lets independent branches finish and skips
 * only dependents; rollback-subgraph also undoes the failed service. The failing service fails
 * by a fault override the test clears, as an operator would fix the cause.
 */
import { acceptUpdate, retryServiceUpdate } from '../../src/api/messages';
import { RequestRefusedError, sendRequest } from '../../src/client/operations';
import type { ServiceInput } from '../../src/manifest/schema';
import { callsOf, progressOf, useWorld, waitForProgress } from '../support/world';

/** base → api → ui, and an independent worker: api fails. */
const release = (): ServiceInput[] => [
  { name: 'base', type: 'terraform', version: 'v1', simulate: { duration: '10ms' } },
  { name: 'api', type: 'kubernetes', version: 'v1', dependencies: ['base'], simulate: { duration: '10ms' } },
  { name: 'ui', type: 'kubernetes', version: 'v1', dependencies: ['api'], simulate: { duration: '10ms' } },
  { name: 'worker', type: 'kubernetes', version: 'v1', dependencies: ['base'], simulate: { duration: '10ms' } },
];

describe('failure policies', () => {
  const world = useWorld('policies');
  afterEach(async () => {
    await world.cloud.clearOverride('api');
  });

  it('halt: keeps what succeeded, refuses a retry of what did not fail, and retry_service finishes the release', async () => {
    await world.cloud.setOverride('api', { fail_permanent: true });
    const { handle, deploymentId } = await world.deploy(world.manifest(release(), { environment: 'halt', strategy: { on_failure: 'halt' } }));
    const halted = await waitForProgress(handle, (p) => p.phase === 'HALTED' && p.services.worker.state === 'SUCCEEDED', 'HALTED');
    expect(halted.services.api.state).toBe('FAILED');
    expect(halted.services.ui.state).toBe('PENDING');
    expect(halted.error).toMatch(/^api failed: /);

    await expect(sendRequest(world.client, handle, retryServiceUpdate, { service: 'base' })).rejects.toThrow(
      new RequestRefusedError('base has not failed (it is SUCCEEDED); failed: api'),
    );
    await world.cloud.setOverride('api', { fail_permanent: false });
    const answer = await sendRequest(world.client, handle, retryServiceUpdate, { service: 'api', by: 'ana', reason: 'fixed the image' });
    expect(answer.message).toBe('retrying api');

    const result = await handle.result();
    expect(result.phase).toBe('SUCCEEDED');
    expect(Object.values(result.services).map((s) => s.state)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const mine = (await world.cloud.calls()).filter((c) => c.deploymentId === deploymentId);
    // What had succeeded was not redone; api ran twice (the failure, then the retry).
    expect(callsOf(mine, 'base', 'apply')).toHaveLength(1);
    expect(callsOf(mine, 'worker', 'apply')).toHaveLength(1);
    expect(callsOf(mine, 'api', 'apply').length).toBeGreaterThanOrEqual(2);
    const progress = await progressOf(handle);
    expect(progress.requests).toEqual([
      expect.objectContaining({ kind: 'retry_service', service: 'api', by: 'ana', reason: 'fixed the image', outcome: 'accepted', via: 'update' }),
    ]);
  });

  it('halt then accept: what succeeded stays, the rest is skipped, the deployment ends PARTIAL', async () => {
    await world.cloud.setOverride('api', { fail_permanent: true });
    const { handle, deploymentId } = await world.deploy(world.manifest(release(), { environment: 'halt-accept', strategy: { on_failure: 'halt' } }));
    await waitForProgress(handle, (p) => p.phase === 'HALTED' && p.services.worker.state === 'SUCCEEDED', 'HALTED');
    const answer = await sendRequest(world.client, handle, acceptUpdate, { by: 'ana' });
    expect(answer.message).toMatch(/ends PARTIAL/);
    const result = await handle.result();
    expect(result.phase).toBe('PARTIAL');
    expect(result.failed).toEqual(['api']);
    expect(result.skipped).toEqual(['ui']);
    expect(result.services.base.state).toBe('SUCCEEDED');
    const mine = (await world.cloud.calls()).filter((c) => c.deploymentId === deploymentId);
    expect(mine.filter((c) => c.op === 'compensate')).toEqual([]);
  });

  it('continue: independent branches finish, only dependents are SKIPPED, the deployment ends PARTIAL', async () => {
    await world.cloud.setOverride('api', { fail_permanent: true });
    const { handle, deploymentId } = await world.deploy(world.manifest(release(), { environment: 'continue', strategy: { on_failure: 'continue' } }));
    const result = await handle.result();
    expect(result.phase).toBe('PARTIAL');
    expect(result.failed).toEqual(['api']);
    expect(result.skipped).toEqual(['ui']);
    expect(result.services.worker.state).toBe('SUCCEEDED');
    expect(result.services.ui.error?.message).toBe('not deployed: depends on api, which failed');
    const mine = (await world.cloud.calls()).filter((c) => c.deploymentId === deploymentId);
    expect(callsOf(mine, 'ui', 'apply')).toEqual([]);
    expect(mine.filter((c) => c.op === 'compensate')).toEqual([]);
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });

  it('rollback-subgraph: the failed service alone is undone; independent branches stay', async () => {
    await world.cloud.setOverride('api', { fail_permanent: true });
    const { handle, deploymentId } = await world.deploy(
      world.manifest(release(), { environment: 'subgraph', strategy: { on_failure: 'rollback-subgraph' } }),
    );
    const result = await handle.result();
    expect(result.phase).toBe('PARTIAL');
    expect(result.services.api.state).toBe('ROLLED_BACK');
    expect(result.services.worker.state).toBe('SUCCEEDED');
    expect(result.rollback?.order).toEqual(['api']);
    const mine = (await world.cloud.calls()).filter((c) => c.deploymentId === deploymentId);
    expect(mine.filter((c) => c.op === 'compensate').map((c) => c.service)).toEqual(['api']);
    expect(result.orphans).toEqual([]);
  });

  it('halt with two failures: retrying one runs it while the other stays failed, then retrying that one finishes', async () => {
    await world.cloud.setOverride('api', { fail_permanent: true });
    await world.cloud.setOverride('worker', { fail_permanent: true });
    try {
      const { handle } = await world.deploy(world.manifest(release(), { environment: 'halt-two', strategy: { on_failure: 'halt' } }));
      await waitForProgress(handle, (p) => p.phase === 'HALTED' && p.services.api.state === 'FAILED' && p.services.worker.state === 'FAILED', 'both failed');
      await world.cloud.clearOverride('worker');
      await sendRequest(world.client, handle, retryServiceUpdate, { service: 'worker' });
      const one = await waitForProgress(handle, (p) => p.services.worker.state === 'SUCCEEDED', 'worker retried while halted');
      expect(one.phase).toBe('HALTED');
      expect(one.services.api.state).toBe('FAILED');
      await world.cloud.clearOverride('api');
      await sendRequest(world.client, handle, retryServiceUpdate, {});
      expect((await handle.result()).phase).toBe('SUCCEEDED');
    } finally {
      await world.cloud.clearOverride('worker');
    }
  });

  it('continue under execution: waves — a failed service does not hold later waves of other branches', async () => {
    await world.cloud.setOverride('api', { fail_permanent: true });
    const services: ServiceInput[] = [
      { name: 'api', type: 'kubernetes', simulate: { duration: '10ms' } },
      { name: 'base', type: 'terraform', simulate: { duration: '10ms' } },
      { name: 'ui', type: 'kubernetes', dependencies: ['api'], simulate: { duration: '10ms' } },
      { name: 'worker', type: 'kubernetes', dependencies: ['base'], simulate: { duration: '10ms' } },
    ];
    const { handle } = await world.deploy(world.manifest(services, { environment: 'waves-continue', strategy: { on_failure: 'continue', execution: 'waves' } }));
    const result = await handle.result();
    expect(result.phase).toBe('PARTIAL');
    expect(result.services.worker.state).toBe('SUCCEEDED');
    expect(result.failed).toEqual(['api']);
    expect(result.skipped).toEqual(['ui']);
  });
});
