/**
 * Bad operator payloads against a real deployment: a few hundred random updates of the wrong shape
 * (a number, a string, a list, a field of the wrong type, an unknown field) are each refused by the
 * validators, and random signals that the rules refuse (bad service names, resume while not
 * paused…) are only recorded as ignored, as are cancel, rollback and pause signals whose payload has
 * the wrong shape. Through all of it progress does not move, no update is
 * accepted, and the history has no failed workflow task.
 */
import fc from 'fast-check';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import {
  acceptSignal,
  acceptUpdate,
  approveSignal,
  approveUpdate,
  cancelSignal,
  cancelUpdate,
  continueRollbackSignal,
  continueRollbackUpdate,
  operatorInputProblem,
  pauseSignal,
  pauseUpdate,
  rejectSignal,
  rejectUpdate,
  resumeSignal,
  resumeUpdate,
  retryServiceSignal,
  retryServiceUpdate,
  rollbackSignal,
  rollbackUpdate,
  type OperatorInputShape,
  type RequestAccepted,
} from '../../src/api/messages';
import type { DeploymentProgress } from '../../src/api/progress';
import { operatorCase } from '../../fuzz/properties/operator-payloads';
import { PATCH_SIGNAL_PAYLOAD_CHECK } from '../../src/workflows/operator-handlers';
import { progressOf, useWorld } from '../support/world';

/** Payloads are deliberately of the wrong type: the definitions are used untyped. */
type AnyUpdate = UpdateDefinition<RequestAccepted, [unknown]>;
const UPDATES: Record<string, { update: AnyUpdate; shape: OperatorInputShape }> = {
  pause: { update: pauseUpdate as AnyUpdate, shape: 'plain' },
  resume: { update: resumeUpdate as AnyUpdate, shape: 'plain' },
  request_cancel: { update: cancelUpdate as AnyUpdate, shape: 'plain' },
  request_rollback: { update: rollbackUpdate as AnyUpdate, shape: 'plain' },
  accept: { update: acceptUpdate as AnyUpdate, shape: 'plain' },
  approve: { update: approveUpdate as AnyUpdate, shape: 'service' },
  reject: { update: rejectUpdate as AnyUpdate, shape: 'service' },
  retry_service: { update: retryServiceUpdate as AnyUpdate, shape: 'service' },
  continue_rollback: { update: continueRollbackUpdate as AnyUpdate, shape: 'continue_rollback' },
};

/**
 * Signals whose rules refuse them in a DEPLOYING deployment whatever the payload (no signal has a
 * validator: a signal that the rules accept acts, so cancel, rollback and pause are not sent).
 */
const REFUSED_SIGNALS: SignalDefinition<[never]>[] = [approveSignal, rejectSignal, retryServiceSignal, resumeSignal, acceptSignal, continueRollbackSignal] as never;

/**
 * Signals that act when their payload is well-formed: with a payload of the wrong shape they are
 * ignored (PATCH_SIGNAL_PAYLOAD_CHECK), as their updates' validators refuse it.
 */
const ACTING_SIGNALS: SignalDefinition<[never]>[] = [cancelSignal, rollbackSignal, pauseSignal] as never;
const BAD_SHAPES: unknown[] = [42, 'stop', ['now'], { unknown: true }, { by: 7 }, { reason: ['x'] }];

const UPDATE_COUNT = 300;
const SIGNAL_COUNT = 100;
const SEED = Number(process.env.TUGBOAT_FUZZ_SEED ?? 13);

/** What a payload becomes on the wire (JSON): NaN is null, undefined fields vanish. */
const onTheWire = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

function forwardState(p: DeploymentProgress): unknown {
  return { phase: p.phase, paused: p.paused, services: Object.fromEntries(Object.values(p.services).map((s) => [s.name, s.state])) };
}

async function historyProblems(handle: WorkflowHandle): Promise<string[]> {
  const { events } = await handle.fetchHistory();
  const problems: string[] = [];
  const failedTasks = events!.filter((e) => e.workflowTaskFailedEventAttributes);
  if (failedTasks.length > 0) problems.push(`${failedTasks.length} failed workflow tasks: ${JSON.stringify(failedTasks[0].workflowTaskFailedEventAttributes?.failure?.message)}`);
  const accepted = events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  if (accepted.length > 0) problems.push(`${accepted.length} updates accepted`);
  return problems;
}

describe('bad operator payloads on a real deployment', () => {
  const world = useWorld('fuzz-operator');
  afterEach(async () => {
    for (const h of await world.cloud.holds()) await world.cloud.release(h.service, h.op);
  });

  it(`${UPDATE_COUNT} bad updates are refused and ${SIGNAL_COUNT} refused signals change nothing`, async () => {
    const manifest = world.manifest([
      { name: 'first', type: 'docker', simulate: { duration: '10ms' } },
      { name: 'second', type: 'docker', dependencies: ['first'], simulate: { duration: '10ms' } },
    ]);
    const { handle } = await world.startHeld('first', 'apply', () => world.deploy(manifest));
    const before = forwardState(await progressOf(handle));
    expect(before).toMatchObject({ phase: 'DEPLOYING', services: { first: 'RUNNING' } });

    // Bad shapes that stay bad on the wire (a NaN payload arrives as null, which means "no details").
    const updates = fc
      .sample(operatorCase, { numRuns: UPDATE_COUNT * 4, seed: SEED })
      .filter((c) => !c.payload.wellFormed && operatorInputProblem(UPDATES[c.update].shape, onTheWire(c.payload.input)) !== undefined)
      .slice(0, UPDATE_COUNT);
    expect(updates).toHaveLength(UPDATE_COUNT);
    const answers: Array<{ update: string; input: unknown; outcome: string }> = [];
    for (let i = 0; i < updates.length; i += 10) {
      await Promise.all(
        updates.slice(i, i + 10).map(async (c) => {
          const outcome = await handle.executeUpdate(UPDATES[c.update].update, { args: [c.payload.input] }).then(
            (answer) => `accepted: ${answer.message}`,
            (error: unknown) => (error instanceof WorkflowUpdateFailedError && /must be|unknown field/.test(error.cause?.message ?? '') ? 'refused' : `failed: ${String(error)}: ${String((error as WorkflowUpdateFailedError).cause?.message)}`),
          );
          answers.push({ update: c.update, input: c.payload.input, outcome });
        }),
      );
    }
    expect(answers.filter((a) => a.outcome !== 'refused')).toEqual([]);

    const signals = fc.sample(fc.tuple(fc.constantFrom(...REFUSED_SIGNALS), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.record({ service: fc.oneof(fc.integer(), fc.constantFrom('constructor', '__proto__', 'ghost', '', 'x'.repeat(10_000))), by: fc.jsonValue() }))), { numRuns: SIGNAL_COUNT, seed: SEED });
    for (const [signal, payload] of signals) await handle.signal(signal, payload as never);
    for (const signal of ACTING_SIGNALS) for (const payload of BAD_SHAPES) await handle.signal(signal, payload as never);
    const sent = SIGNAL_COUNT + ACTING_SIGNALS.length * BAD_SHAPES.length;

    // Every signal handled (recorded as ignored, or counted past the record's cap) before comparing.
    const settled = await progressOf(handle);
    const ignored = settled.requests.filter((r) => r.outcome === 'ignored').length + (settled.ignoredRequestsNotRecorded ?? 0);
    expect(ignored).toBe(sent);
    expect(settled.requests.filter((r) => r.outcome === 'accepted')).toEqual([]);
    expect(forwardState(settled)).toEqual(before);
    expect(await historyProblems(handle)).toEqual([]);

    await world.cloud.release('first', 'apply');
    expect((await handle.result()).phase).toBe('SUCCEEDED');
    expect(await historyProblems(handle)).toEqual([]);
    // The refusals of bad-shaped signals went through the patch (old runs replay acting on them).
    const { events } = await handle.fetchHistory();
    const patchIds = events!
      .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
      .flatMap((e) => Object.values(e.markerRecordedEventAttributes!.details ?? {}).flatMap((d) => d.payloads ?? []))
      .map((payload) => Buffer.from(payload.data ?? new Uint8Array()).toString('utf8'));
    expect(patchIds.some((id) => id.includes(PATCH_SIGNAL_PAYLOAD_CHECK))).toBe(true);
  });
});
