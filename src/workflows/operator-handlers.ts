/**
 * The operator's doors into a running deployment: cancel and rollback as signals (Web UI,
 * `temporal workflow signal`) and as updates (the tugboat CLI) sharing one handler, accept for a
 * manual rollback strategy, continue_rollback for a blocked rollback, and Temporal's own
 * cancellation, which means the same as the cancel signal. Every request is recorded in progress.
 */
import { CancellationScope, setHandler } from '@temporalio/workflow';
import {
  acceptSignal,
  acceptUpdate,
  cancelSignal,
  cancelUpdate,
  continueRollbackSignal,
  continueRollbackUpdate,
  rollbackSignal,
  rollbackUpdate,
  type ContinueRollbackInput,
  type OperatorRequestInput,
  type RequestAccepted,
} from '../api/messages';
import type { OperatorRequest } from '../api/progress';
import { fitUtf8 } from '../api/temporal-limits';
import type { RunState } from './deployment';
import { acceptRefusal, continueRollbackRefusal, stopRefusal, type RequestContext } from './operator-rules';
import type { ProgressTracker } from './progress-tracker';

type Via = OperatorRequest['via'];

/** Longest `by` / `reason` kept: they are recorded in progress and history. */
const MAX_TEXT_BYTES = 500;

/**
 * Who asked and why, as recorded: a signal's payload is whatever the sender typed (the Web UI
 * accepts any JSON), so only strings are kept, cut to a bounded size.
 */
function who(input: OperatorRequestInput | undefined): { by?: string; reason?: string } {
  const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? fitUtf8(value, MAX_TEXT_BYTES) : undefined);
  const record = typeof input === 'object' && input !== null ? input : {};
  return { by: text(record.by), reason: text(record.reason) };
}

export function installOperatorHandlers(state: RunState, tracker: ProgressTracker): void {
  const context = (): RequestContext => ({
    phase: tracker.phase,
    stopped: state.awaitingDecision ? undefined : state.stop?.trigger,
    awaitingDecision: state.awaitingDecision,
    decided: state.decision !== undefined,
    continuePending: state.continueRequests.length > 0,
    blocked: tracker.data.rollback?.blocked ?? [],
  });
  const accepted = (message: string): RequestAccepted => ({ accepted: true, phase: tracker.phase, message });

  const stop = (kind: 'cancel' | 'rollback', input: OperatorRequestInput | undefined, via: Via): RequestAccepted => {
    const refusal = stopRefusal(kind, context());
    const base = { kind, ...who(input), via };
    if (refusal) {
      tracker.record({ ...base, outcome: 'ignored', note: refusal });
      return accepted(`ignored: ${refusal}`);
    }
    tracker.record({ ...base, outcome: 'accepted' });
    const { by, reason: why } = who(input);
    const reason = `${kind} requested${by ? ` by ${by}` : ''}${why ? `: ${why}` : ''}`;
    if (state.awaitingDecision) state.decision = kind;
    else state.stop = { trigger: kind, reason };
    return accepted(kind === 'cancel' ? 'cancelling: rolling back what was deployed' : 'rolling back what was deployed');
  };

  const accept = (input: OperatorRequestInput | undefined, via: Via): RequestAccepted => {
    const refusal = acceptRefusal(context());
    if (refusal) {
      tracker.record({ kind: 'accept', ...who(input), via, outcome: 'ignored', note: refusal });
      return accepted(`ignored: ${refusal}`);
    }
    tracker.record({ kind: 'accept', ...who(input), via, outcome: 'accepted' });
    state.decision = 'accept';
    return accepted('accepted: what was deployed stays; the deployment ends FAILED');
  };

  const continueRollback = (input: ContinueRollbackInput | undefined, via: Via): RequestAccepted => {
    const base = { kind: 'continue_rollback' as const, ...who(input), via };
    // Signals have no validator: the same check runs here, and a refusal is recorded, not thrown.
    const refusal = continueRollbackRefusal(input, context());
    if (refusal) {
      tracker.record({ ...base, outcome: 'ignored', note: refusal });
      return accepted(`ignored: ${refusal}`);
    }
    tracker.record({ ...base, outcome: 'accepted' });
    state.continueRequests.push({ retry: input?.retry, skip: input?.skip });
    return accepted(input?.retry ? 'retrying the blocked compensations' : `skipping ${input?.skip?.join(', ')}`);
  };

  const refuseWith = (refusal: string | undefined) => {
    // An update validator's error is the refusal the caller sees; nothing is recorded in history.
    if (refusal) throw new Error(refusal);
  };

  setHandler(cancelSignal, (input) => void stop('cancel', input, 'signal'));
  setHandler(rollbackSignal, (input) => void stop('rollback', input, 'signal'));
  setHandler(acceptSignal, (input) => void accept(input, 'signal'));
  setHandler(cancelUpdate, (input) => stop('cancel', input, 'update'), {
    validator: (_input: OperatorRequestInput) => refuseWith(stopRefusal('cancel', context())),
  });
  setHandler(rollbackUpdate, (input) => stop('rollback', input, 'update'), {
    validator: (_input: OperatorRequestInput) => refuseWith(stopRefusal('rollback', context())),
  });
  setHandler(acceptUpdate, (input) => accept(input, 'update'), {
    validator: (_input: OperatorRequestInput) => refuseWith(acceptRefusal(context())),
  });
  setHandler(continueRollbackSignal, (input) => void continueRollback(input, 'signal'));
  setHandler(continueRollbackUpdate, (input) => continueRollback(input, 'update'), {
    validator: (input) => refuseWith(continueRollbackRefusal(input, context())),
  });

  // Temporal's own cancellation (temporal workflow cancel, the Web UI's Cancel) is a cancel request.
  // Even when the stop itself is refused (a rollback already runs), the workflow must end cancelled.
  CancellationScope.current().cancelRequested.catch(() => {
    state.temporalCancelRequested = true;
    stop('cancel', { reason: 'Temporal cancellation requested' }, 'temporal-cancel');
  });
}
