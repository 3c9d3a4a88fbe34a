/**
 * Operator controls on a real server: cancel and rollback through every door (signal, update,
 * Temporal's own cancellation), refusals that change nothing, a blocked rollback continued by
 * retry or skip, and the manual rollback strategy's accept.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import {
  acceptUpdate,
  cancelSignal,
  cancelUpdate,
  continueRollbackSignal,
  continueRollbackUpdate,
  progressQuery,
  rollbackSignal,
  rollbackUpdate,
} from '../../src/api/messages';
import type { DeploymentProgress } from '../../src/api/progress';
import { RequestRefusedError, sendRequest } from '../../src/client/operations';
import type { ServiceInput } from '../../src/manifest/schema';
import type { CallRecord } from '../../src/simcloud';
import { callsOf, useWorld, waitForProgress, type World } from '../support/world';
import { waitFor } from '../support/wait';
import { failedResult } from '../support/failures';

const pair = (extra: Partial<ServiceInput> = {}): ServiceInput[] => [
  { name: 'db', type: 'terraform', simulate: { duration: '10ms' } },
  { name: 'app', type: 'kubernetes', dependencies: ['db'], simulate: { duration: '10ms' }, ...extra },
];

/** Deploys the pair with app's apply held, so the deployment is provably mid-flight. */
async function midFlight(world: World, environment: string) {
  return world.startHeld('app', 'apply', () => world.deploy(world.manifest(pair(), { environment })));
}

/**
 * The held apply is still running in the cloud after its activity was cancelled; the rollback's
 * compensation waits for it (the cloud's per-service lock). Release the apply once that
 * compensation has arrived, and check it only completed after the apply.
 */
async function releaseHeldApplyOnceCompensating(world: World, deploymentId: string): Promise<void> {
  await waitFor(async () => callsOf(await world.cloud.calls(), 'app', 'compensate').some((c) => c.deploymentId === deploymentId), {
    what: "app's compensation to arrive",
  });
  await world.cloud.release('app', 'apply');
}

function expectCompensatedAfterApply(calls: CallRecord[], deploymentId: string): void {
  const mine = calls.filter((c) => c.deploymentId === deploymentId && c.service === 'app');
  const apply = mine.find((c) => c.op === 'apply')!;
  const compensate = mine.find((c) => c.op === 'compensate')!;
  expect(compensate.completedSeq!).toBeGreaterThan(apply.completedSeq!);
}

async function liveResourcesOf(world: World, deploymentId: string) {
  return (await world.cloud.resources()).filter((r) => r.deploymentId === deploymentId);
}

describe('operator controls', () => {
  const world = useWorld('operator');
  afterEach(async () => {
    for (const h of await world.cloud.holds()) await world.cloud.release(h.service, h.op);
  });

  it('cancel signal: stops, rolls back, ends CANCELLED with the request recorded', async () => {
    const { handle, deploymentId } = await midFlight(world, 'cancel-signal');
    await handle.signal(cancelSignal, { by: 'alice', reason: 'wrong build' });
    await releaseHeldApplyOnceCompensating(world, deploymentId);
    const result = await handle.result();
    expectCompensatedAfterApply(await world.cloud.calls(), deploymentId);
    expect(result.phase).toBe('CANCELLED');
    expect(result.orphans).toEqual([]);
    expect(result.services.db.state).toBe('ROLLED_BACK');
    expect(await liveResourcesOf(world, deploymentId)).toEqual([]);
    const progress: DeploymentProgress = await handle.query(progressQuery);
    expect(progress.requests).toEqual([expect.objectContaining({ kind: 'cancel', by: 'alice', reason: 'wrong build', via: 'signal', outcome: 'accepted' })]);
  });

  it('cancel update: accepted once, a second one refused with its reason and changing nothing', async () => {
    const { handle, deploymentId } = await midFlight(world, 'cancel-update');
    const ok = await sendRequest(world.client, handle, cancelUpdate, { by: 'bob' });
    expect(ok.message).toMatch(/cancelling/);
    await expect(sendRequest(world.client, handle, rollbackUpdate, { by: 'carol' })).rejects.toThrow(
      new RequestRefusedError('a cancel was already accepted; the deployment is rolling back (phase DEPLOYING)'),
    );
    await releaseHeldApplyOnceCompensating(world, deploymentId);
    const result = await handle.result();
    expect(result.phase).toBe('CANCELLED');
    const progress: DeploymentProgress = await handle.query(progressQuery);
    expect(progress.requests.map((r) => `${r.kind}/${r.via}/${r.outcome}`)).toEqual(['cancel/update/accepted']);
  });

  it("Temporal's own cancellation: rolls back, ends CANCELLED, and the workflow closes as cancelled", async () => {
    const { handle, deploymentId } = await midFlight(world, 'temporal-cancel');
    await handle.cancel();
    await releaseHeldApplyOnceCompensating(world, deploymentId);
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    const progress: DeploymentProgress = await handle.query(progressQuery);
    expect(progress.phase).toBe('CANCELLED');
    expect(progress.requests[0]).toMatchObject({ kind: 'cancel', via: 'temporal-cancel', outcome: 'accepted' });
    expect(await liveResourcesOf(world, deploymentId)).toEqual([]);
  });

  it('rollback signal: ends ROLLED_BACK, undoing app before db', async () => {
    const { handle, deploymentId } = await midFlight(world, 'rollback-signal');
    await handle.signal(rollbackSignal, { reason: 'canary errors' });
    await releaseHeldApplyOnceCompensating(world, deploymentId);
    const result = await handle.result();
    expect(result.phase).toBe('ROLLED_BACK');
    expect(result.rollback).toMatchObject({ trigger: 'rollback', state: 'DONE', order: ['app', 'db'] });
  });

  it('a child cancelled from outside Tugboat stops the deployment and rolls it back', async () => {
    const { handle, deploymentId } = await midFlight(world, 'child-cancelled');
    await world.client.workflow.getHandle(`${deploymentId}.app`).cancel();
    await releaseHeldApplyOnceCompensating(world, deploymentId);
    const { result } = await failedResult(handle.result());
    expect(result.phase).toBe('ROLLED_BACK');
    expect(result.error).toBe('app was cancelled outside Tugboat');
    expect(result.orphans).toEqual([]);
  });

  it('refuses accept when there is nothing to accept', async () => {
    const { handle } = await midFlight(world, 'accept-refused');
    await expect(sendRequest(world.client, handle, acceptUpdate, {})).rejects.toThrow(/accept only applies to a HALTED deployment .* or a failed one held by rollback_strategy: manual/);
    await world.cloud.release('app', 'apply');
    expect((await handle.result()).phase).toBe('SUCCEEDED');
  });
});

describe('a blocked rollback', () => {
  const world = useWorld('blocked');

  const failingRollback = (): ServiceInput[] => [
    // Compensations retry under rollback_retry (generous by default): kept short here.
    { name: 'db', type: 'terraform', rollback_retry: { max_attempts: 2, initial_interval: '50ms' }, simulate: { duration: '10ms', fail_compensation: true } },
    { name: 'app', type: 'kubernetes', dependencies: ['db'], simulate: { duration: '10ms', fail_permanent: true } },
  ];

  async function blocked(environment: string): Promise<{ handle: WorkflowHandle; deploymentId: string; progress: DeploymentProgress }> {
    const { handle, deploymentId } = await world.deploy(world.manifest(failingRollback(), { environment }));
    const progress = await waitForProgress(handle, (p) => p.phase === 'ROLLBACK_BLOCKED', 'ROLLBACK_BLOCKED');
    expect(progress.rollback?.blocked).toEqual([
      expect.objectContaining({ service: 'db', error: expect.stringMatching(/compensation/) }),
    ]);
    expect(progress.services.db.state).toBe('ROLLBACK_BLOCKED');
    return { handle, deploymentId, progress };
  }

  it('continue_rollback retry: runs the compensation again once the cause is fixed', async () => {
    const { handle, deploymentId } = await blocked('retry');
    await expect(sendRequest(world.client, handle, continueRollbackUpdate, {})).rejects.toThrow(/either retry: true or skip/);
    await world.cloud.setOverride('db', { fail_compensation: false });
    try {
      await sendRequest(world.client, handle, continueRollbackUpdate, { retry: true, by: 'ops' });
      const { result } = await failedResult(handle.result());
      expect(result.phase).toBe('ROLLED_BACK');
      expect(result.orphans).toEqual([]);
      expect(result.services.db.state).toBe('ROLLED_BACK');
      expect((await world.cloud.resources()).filter((r) => r.deploymentId === deploymentId)).toEqual([]);
    } finally {
      await world.cloud.clearOverride('db');
    }
  });

  it("Temporal's cancellation during a blocked rollback: the rollback still waits, then the workflow closes as cancelled", async () => {
    const { handle } = await blocked('temporal-cancel');
    await handle.cancel();
    const progress = await waitForProgress(handle, (p) => p.requests.some((r) => r.via === 'temporal-cancel'), 'the cancel recorded');
    expect(progress.phase).toBe('ROLLBACK_BLOCKED');
    expect(progress.requests.at(-1)).toMatchObject({ kind: 'cancel', outcome: 'ignored' });
    await world.cloud.setOverride('db', { fail_compensation: false });
    try {
      await sendRequest(world.client, handle, continueRollbackUpdate, { retry: true });
      const err = await handle.result().catch((e: unknown) => e);
      expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
      expect((await handle.describe()).status.name).toBe('CANCELLED');
      expect((await handle.query(progressQuery)).phase).toBe('ROLLED_BACK');
    } finally {
      await world.cloud.clearOverride('db');
    }
  });

  it('continue_rollback as a signal (Web UI, temporal workflow signal): same checks, a refusal recorded, then acted on', async () => {
    const { handle, deploymentId } = await blocked('signal');
    // Whatever JSON the Web UI sends: a payload of the wrong shape is refused as its update's
    // validator refuses it, naming the first bad field; only strings are kept, cut to size.
    await handle.signal(continueRollbackSignal, { by: { nested: true }, reason: 'x'.repeat(5_000), skip: 'db' } as never);
    // Neither retry nor skip: refused, recorded as ignored with why, the rollback still blocked.
    await handle.signal(continueRollbackSignal, { by: 'web-ui' });
    const refused = await waitForProgress(
      handle,
      (p) => p.requests.filter((r) => r.kind === 'continue_rollback').length === 2,
      'the refused continue_rollback signals recorded',
    );
    const [odd] = refused.requests.filter((r) => r.kind === 'continue_rollback');
    expect(odd).toMatchObject({ via: 'signal', outcome: 'ignored', note: 'by must be a string, got an object' });
    expect(odd.by).toBeUndefined();
    expect(Buffer.byteLength(odd.reason!)).toBeLessThanOrEqual(500);
    expect(refused.requests.at(-1)).toMatchObject({
      kind: 'continue_rollback',
      via: 'signal',
      by: 'web-ui',
      outcome: 'ignored',
      note: expect.stringMatching(/either retry: true or skip/),
    });
    expect(refused.phase).toBe('ROLLBACK_BLOCKED');
    await world.cloud.setOverride('db', { fail_compensation: false });
    try {
      await handle.signal(continueRollbackSignal, { retry: true, by: 'web-ui' });
      const { result } = await failedResult(handle.result());
      expect(result.phase).toBe('ROLLED_BACK');
      expect(result.services.db.state).toBe('ROLLED_BACK');
      expect((await world.cloud.resources()).filter((r) => r.deploymentId === deploymentId)).toEqual([]);
      const requests = (await handle.query(progressQuery)).requests.filter((r) => r.kind === 'continue_rollback');
      expect(requests.map((r) => [r.via, r.outcome])).toEqual([
        ['signal', 'ignored'],
        ['signal', 'ignored'],
        ['signal', 'accepted'],
      ]);
    } finally {
      await world.cloud.clearOverride('db');
    }
  });

  it('continue_rollback skip: reports the skipped resource as retained, not orphaned', async () => {
    const { handle, progress } = await blocked('skip');
    const resourceId = progress.rollback!.blocked[0].resources[0].id;
    await expect(sendRequest(world.client, handle, continueRollbackUpdate, { skip: ['nope'] })).rejects.toThrow(/not blocked: nope/);
    await sendRequest(world.client, handle, continueRollbackUpdate, { skip: [resourceId] });
    const { result } = await failedResult(handle.result());
    expect(result.phase).toBe('ROLLED_BACK');
    expect(result.services.db.state).toBe('RETAINED');
    expect(result.retained).toEqual([expect.objectContaining({ id: resourceId, service: 'db', why: 'skipped by operator' })]);
    expect(result.orphans).toEqual([]);
  });
});

describe('rollback_strategy: manual', () => {
  const world = useWorld('manual');

  const failing = (): ServiceInput[] => pair({ simulate: { duration: '10ms', fail_permanent: true } });

  it('holds the lock in FAILED until accept, then ends FAILED keeping what was deployed', async () => {
    const { handle, deploymentId } = await world.deploy(
      world.manifest(failing(), { environment: 'accept', rollback_strategy: 'manual' }),
    );
    await waitForProgress(handle, (p) => p.awaitingDecision === true, 'waiting for a decision');
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await sendRequest(world.client, handle, acceptUpdate, { by: 'ops' });
    const { result } = await failedResult(handle.result());
    expect(result.phase).toBe('FAILED');
    expect((await world.cloud.resources()).filter((r) => r.deploymentId === deploymentId).map((r) => r.service)).toEqual(['db']);
  });

  it('rolls back when asked to', async () => {
    const { handle, deploymentId } = await world.deploy(
      world.manifest(failing(), { environment: 'rollback', rollback_strategy: 'manual' }),
    );
    await waitForProgress(handle, (p) => p.awaitingDecision === true, 'waiting for a decision');
    await sendRequest(world.client, handle, rollbackUpdate, { by: 'ops' });
    const { result } = await failedResult(handle.result());
    expect(result.phase).toBe('ROLLED_BACK');
    expect(result.orphans).toEqual([]);
    expect((await world.cloud.resources()).filter((r) => r.deploymentId === deploymentId)).toEqual([]);
  });
});
