/**
 * Approval gates on a real server: only the gated branch waits (an independent service is held
 * mid-apply while the gate is open, proving it started); approve, reject, a timeout with its
 * escalation notice before the deadline, and on_reject: halt asking again.
 */
import { approveUpdate, rejectUpdate } from '../../src/api/messages';
import { RequestRefusedError, sendRequest } from '../../src/client/operations';
import type { ServiceInput } from '../../src/manifest/schema';
import { callsOf, progressOf, useWorld, waitForProgress } from '../support/world';
import { failedResult } from '../support/failures';
import { waitFor } from '../support/wait';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

/** db (gated) → app, and side, independent of both. */
const gated = (approval: NonNullable<ServiceInput['approval']> = { required: true }): ServiceInput[] => [
  { name: 'db', type: 'terraform', version: 'v2', approval, simulate: { duration: '10ms' } },
  { name: 'app', type: 'kubernetes', dependencies: ['db'], simulate: { duration: '10ms' } },
  { name: 'side', type: 'kubernetes', simulate: { duration: '10ms' } },
];

describe('approval gates', () => {
  const world = useWorld('approvals');
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(() => receiver.close());
  afterEach(async () => {
    for (const h of await world.cloud.holds()) await world.cloud.release(h.service, h.op);
  });

  it('holds only its branch until approved, recording who approved and why', async () => {
    const { handle, deploymentId } = await world.startHeld('side', 'apply', () =>
      world.deploy(world.manifest(gated(), { environment: 'approve' })),
    );
    // side is mid-apply (held) while db waits at its gate: the independent branch was not blocked.
    const waiting = await waitForProgress(handle, (p) => p.services.db.state === 'AWAITING_APPROVAL', 'db awaiting approval');
    expect(waiting.services.side.state).toBe('RUNNING');
    expect(waiting.services.app.state).toBe('PENDING');
    await world.cloud.release('side', 'apply');
    await waitForProgress(handle, (p) => p.services.side.state === 'SUCCEEDED', 'side to succeed');
    const stillWaiting = await progressOf(handle);
    expect(stillWaiting.services.db.state).toBe('AWAITING_APPROVAL');
    expect(callsOf(await world.cloud.calls(), 'db', 'apply').filter((c) => c.deploymentId === deploymentId)).toEqual([]);

    await expect(sendRequest(world.client, handle, approveUpdate, { service: 'app' })).rejects.toThrow(
      new RequestRefusedError('app is not awaiting approval (it is PENDING); awaiting approval: db'),
    );
    const answer = await sendRequest(world.client, handle, approveUpdate, { service: 'db', by: 'dba', reason: 'backup verified' });
    expect(answer.message).toMatch(/approved db/);
    const result = await handle.result();
    expect(result.phase).toBe('SUCCEEDED');
    const progress = await progressOf(handle);
    expect(progress.approvals?.db).toEqual([
      expect.objectContaining({ outcome: 'approved', by: 'dba', reason: 'backup verified', decidedAt: expect.any(String) }),
    ]);
  });

  it('a rejection fails the service and the failure policy (rollback) undoes the rest', async () => {
    const { handle } = await world.deploy(world.manifest(gated(), { environment: 'reject' }));
    await waitForProgress(handle, (p) => p.services.db.state === 'AWAITING_APPROVAL' && p.services.side.state === 'SUCCEEDED', 'gate open');
    await sendRequest(world.client, handle, rejectUpdate, { service: 'db', by: 'dba', reason: 'no backup' });
    const { result } = await failedResult(handle.result());
    expect(result.phase).toBe('ROLLED_BACK');
    expect(result.services.db).toMatchObject({ state: 'FAILED', error: { type: 'ApprovalRejected', message: 'rejected by dba: no backup' } });
    expect(result.services.side.state).toBe('ROLLED_BACK');
    expect(result.services.app.state).toBe('SKIPPED');
  });

  it('on_reject: halt asks again after a rejection instead of failing', async () => {
    const { handle } = await world.deploy(world.manifest(gated({ required: true, on_reject: 'halt' }), { environment: 'review' }));
    await waitForProgress(handle, (p) => p.services.db.state === 'AWAITING_APPROVAL', 'first request');
    await sendRequest(world.client, handle, rejectUpdate, { service: 'db', by: 'reviewer', reason: 'fix the index first' });
    const again = await waitForProgress(handle, (p) => (p.approvals?.db ?? []).length === 2, 'a second request');
    expect(again.services.db.state).toBe('AWAITING_APPROVAL');
    expect(again.approvals!.db[0]).toMatchObject({ outcome: 'rejected', by: 'reviewer', reason: 'fix the index first' });
    await sendRequest(world.client, handle, approveUpdate, { service: 'db', by: 'reviewer' });
    expect((await handle.result()).phase).toBe('SUCCEEDED');
  });

  it('times out per on_timeout, after an escalation notice sent before the deadline', async () => {
    const manifest = world.manifest(gated({ required: true, timeout: '3s', notify_before: '2s', on_timeout: 'reject' }), {
      environment: 'timeout',
      notify: [{ webhook: receiver.url, on: ['approval_needed', 'approval_escalation', 'rolled_back'] }],
    });
    const { handle, deploymentId } = await world.deploy(manifest);
    const { result } = await failedResult(handle.result());
    expect(result.phase).toBe('ROLLED_BACK');
    expect(result.services.db.error).toMatchObject({ type: 'ApprovalRejected', message: 'not approved within 3s (on_timeout: reject)' });
    const progress = await progressOf(handle);
    const request = progress.approvals!.db[0];
    expect(request.outcome).toBe('timed-out-rejected');
    expect(Date.parse(request.escalatedAt!)).toBeLessThan(Date.parse(request.deadline));
    const mine = await waitFor(() => {
      const events = receiver.received.filter((r) => r.deploymentId === deploymentId).map((r) => r.event);
      return events.includes('rolled_back') ? events : undefined;
    }, { what: 'the rolled_back notification' });
    expect(mine).toEqual(['approval_needed', 'approval_escalation', 'rolled_back']);
    expect(progress.notifications?.every((n) => n.delivered && !n.webhook.includes('secret-token'))).toBe(true);
  });

  it('a gate takes no slot: with max_parallel 1 an independent service starts while the gate is open', async () => {
    const services: ServiceInput[] = [
      // The gated one has the longer path, so the scheduler would pick it first for the one slot.
      { name: 'db', type: 'terraform', approval: { required: true }, simulate: { duration: '10ms' } },
      { name: 'app', type: 'kubernetes', dependencies: ['db'], simulate: { duration: '10ms' } },
      { name: 'side', type: 'kubernetes', simulate: { duration: '10ms' } },
    ];
    const { handle } = await world.deploy(world.manifest(services, { environment: 'one-slot', strategy: { max_parallel: 1 } }));
    await waitForProgress(handle, (p) => p.services.db.state === 'AWAITING_APPROVAL' && p.services.side.state === 'SUCCEEDED', 'side done while db waits');
    await sendRequest(world.client, handle, approveUpdate, { service: 'db' });
    expect((await handle.result()).phase).toBe('SUCCEEDED');
  });
});
