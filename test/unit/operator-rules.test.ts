/** When operator requests are accepted or refused (pure rules behind the update validators). */
import type { BlockedCompensation } from '../../src/api/progress';
import {
  acceptRefusal,
  approvalRefusal,
  pauseRefusal,
  resumeRefusal,
  retryRefusal,
  continueRollbackRefusal,
  servicesReleasedBySkip,
  stopRefusal,
  type RequestContext,
} from '../../src/workflows/operator-rules';
import { requestContext } from '../support/request-context';

const blocked: BlockedCompensation[] = [
  { service: 'db', resources: [{ id: 'database-1', kind: 'database' }, { id: 'database-2', kind: 'database' }], error: 'boom' },
  { service: 'cache', resources: [], error: 'boom' },
];
const ctx = (over: Partial<RequestContext> = {}): RequestContext =>
  requestContext({ services: { db: 'SUCCEEDED', app: 'RUNNING', gate: 'AWAITING_APPROVAL', broken: 'FAILED' }, ...over });

describe('stopRefusal', () => {
  it.each<[string, Partial<RequestContext>, 'cancel' | 'rollback', RegExp | undefined]>([
    ['accepts a cancel while deploying', {}, 'cancel', undefined],
    ['accepts a rollback while health checking', { phase: 'HEALTH_CHECKING' }, 'rollback', undefined],
    ['refuses after the end', { phase: 'ROLLED_BACK' }, 'cancel', /already ended ROLLED_BACK/],
    ['refuses a second stop', { stopped: 'cancel', phase: 'ROLLING_BACK' }, 'rollback', /a cancel was already accepted/],
    ['refuses during a failure rollback', { stopped: 'failure', phase: 'ROLLING_BACK' }, 'cancel', /failed and is already rolling back/],
    ['accepts as the manual decision', { phase: 'FAILED', awaitingDecision: true }, 'rollback', undefined],
    ['refuses once decided', { phase: 'FAILED', awaitingDecision: true, decided: true }, 'cancel', /decision was already taken/],
  ])('%s', (_name, over, kind, expected) => {
    const refusal = stopRefusal(kind, ctx(over));
    if (expected) expect(refusal).toMatch(expected);
    else expect(refusal).toBeUndefined();
  });
});

describe('acceptRefusal', () => {
  it('accepts only a manual deployment awaiting its decision, once', () => {
    expect(acceptRefusal(ctx())).toMatch(/only applies to a HALTED deployment .* or a failed one held by rollback_strategy: manual/);
    expect(acceptRefusal(ctx({ awaitingDecision: true, phase: 'FAILED' }))).toBeUndefined();
    expect(acceptRefusal(ctx({ awaitingDecision: true, decided: true }))).toMatch(/already taken/);
  });
});

describe('continueRollbackRefusal', () => {
  const blockedCtx = ctx({ phase: 'ROLLBACK_BLOCKED', blocked });
  it.each<[string, unknown, RegExp | undefined]>([
    ['retry', { retry: true }, undefined],
    ['skip a whole service by its resources', { skip: ['database-1', 'database-2'] }, undefined],
    ['skip a service by name', { skip: ['cache'] }, undefined],
    ['neither', {}, /either retry: true or skip/],
    ['both', { retry: true, skip: ['cache'] }, /either retry: true or skip/],
    ['an unknown id', { skip: ['nope'] }, /not blocked: nope; blocked are db, database-1, database-2, cache/],
    ['part of a service', { skip: ['database-1'] }, /would leave it blocked; also skip database-2/],
    ['skip that is not a list', { skip: 'cache' }, /must be a list/],
  ])('%s', (_name, input, expected) => {
    const refusal = continueRollbackRefusal(input as never, blockedCtx);
    if (expected) expect(refusal).toMatch(expected);
    else expect(refusal).toBeUndefined();
  });

  it('refuses when nothing is blocked or a request is already queued', () => {
    expect(continueRollbackRefusal({ retry: true }, ctx({ phase: 'ROLLING_BACK' }))).toMatch(/not blocked/);
    expect(continueRollbackRefusal({ retry: true }, { ...blockedCtx, continuePending: true })).toMatch(/already being acted on/);
  });

  it('releases exactly the services whose resources are all skipped', () => {
    expect(servicesReleasedBySkip(['database-1', 'database-2', 'cache'], blocked)).toEqual(['db', 'cache']);
    expect(servicesReleasedBySkip(['database-1'], blocked)).toEqual([]);
  });
});

describe('stop during a rollback-subgraph', () => {
  it('refuses rollback and cancel while the failed service is undone, saying what to do after', () => {
    expect(stopRefusal('rollback', ctx({ phase: 'ROLLING_BACK' }))).toMatch(/rollback-subgraph.*tugboat rollback <deployment>/);
    expect(stopRefusal('cancel', ctx({ phase: 'ROLLBACK_BLOCKED' }))).toMatch(/rollback-subgraph/);
  });
});

describe('pause and resume', () => {
  it('pauses a deploying deployment once, and resumes only a paused one', () => {
    expect(pauseRefusal(ctx())).toBeUndefined();
    expect(pauseRefusal(ctx({ phase: 'PAUSED', paused: true }))).toMatch(/already paused/);
    expect(resumeRefusal(ctx())).toMatch(/not paused \(phase DEPLOYING\)/);
    expect(resumeRefusal(ctx({ phase: 'PAUSED', paused: true }))).toBeUndefined();
  });

  it.each<[Partial<RequestContext>, RegExp]>([
    [{ phase: 'SUCCEEDED' }, /already ended SUCCEEDED/],
    [{ phase: 'ROLLING_BACK', stopped: 'failure' }, /stopping \(phase ROLLING_BACK\)/],
    [{ phase: 'BAKING' }, /no longer being deployed \(phase BAKING\)/],
    [{ phase: 'HALTED', halted: true }, /HALTED.*retry, rollback or accept/],
  ])('refuses to pause %j', (over, reason) => {
    expect(pauseRefusal(ctx(over))).toMatch(reason);
  });
});

describe('approve and reject', () => {
  it('accepts a service awaiting approval', () => {
    expect(approvalRefusal('approve', { service: 'gate' }, ctx())).toBeUndefined();
    expect(approvalRefusal('reject', { service: 'gate', reason: 'no' }, ctx())).toBeUndefined();
  });

  it.each<[unknown, RegExp]>([
    [undefined, /say which service to approve.*awaiting approval: gate/],
    [{ service: 42 }, /service must be a service name/],
    [{ service: 'nope' }, /no service named "nope"; the services are db, app, gate, broken/],
    [{ service: 'db' }, /db is not awaiting approval \(it is SUCCEEDED\); awaiting approval: gate/],
  ])('refuses %j with a reason', (input, reason) => {
    expect(approvalRefusal('approve', input as never, ctx())).toMatch(reason);
  });

  it('refuses a second decision before the first is acted on', () => {
    expect(approvalRefusal('reject', { service: 'gate' }, ctx({ decidedApprovals: ['gate'] }))).toMatch(/already approved or rejected/);
  });

  it('refuses once the deployment is stopping', () => {
    expect(approvalRefusal('approve', { service: 'gate' }, ctx({ phase: 'ROLLING_BACK', stopped: 'rollback' }))).toMatch(/stopping/);
  });
});

describe('retry_service', () => {
  it('retries a failed service of a halted deployment, or all of them', () => {
    const halted = ctx({ phase: 'HALTED', halted: true });
    expect(retryRefusal({ service: 'broken' }, halted)).toBeUndefined();
    expect(retryRefusal({}, halted)).toBeUndefined();
    expect(retryRefusal({ service: 'db' }, halted)).toMatch(/db has not failed \(it is SUCCEEDED\); failed: broken/);
  });

  it('retries a manual-strategy failure awaiting a decision', () => {
    expect(retryRefusal({}, ctx({ phase: 'FAILED', awaitingDecision: true }))).toBeUndefined();
    expect(retryRefusal({}, ctx({ phase: 'FAILED', awaitingDecision: true, decided: true }))).toMatch(/decision was already taken/);
  });

  it('refuses a deployment that is neither halted nor held', () => {
    expect(retryRefusal({ service: 'broken' }, ctx())).toMatch(/HALTED deployment.*this one is DEPLOYING/);
    expect(retryRefusal({}, ctx({ phase: 'HALTED', halted: true, services: { db: 'SUCCEEDED' } }))).toMatch(/no failed service/);
  });

  it('accept ends a halted deployment', () => {
    expect(acceptRefusal(ctx({ phase: 'HALTED', halted: true }))).toBeUndefined();
    expect(acceptRefusal(ctx())).toMatch(/HALTED deployment.*this one is DEPLOYING/);
  });
});
