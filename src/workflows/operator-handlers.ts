/**
 * The operator's doors into a running deployment: cancel, rollback, pause, resume, approve,
 * reject, retry_service, accept and continue_rollback, each as a signal (Web UI, `temporal
 * workflow signal`) and as an update (the tugboat CLI, `temporal workflow update execute`)
 * sharing one handler, and Temporal's own cancellation, which means the same as the cancel
 * signal. Every request is recorded in progress: accepted ones with who and why, refused signals
 * as ignored with the reason (a refused update is refused to its caller and leaves no trace).
 */
import { CancellationScope, patched, setHandler } from '@temporalio/workflow';
import {
  acceptSignal,
  acceptUpdate,
  approveSignal,
  approveUpdate,
  pauseSignal,
  pauseUpdate,
  rejectSignal,
  rejectUpdate,
  resumeSignal,
  resumeUpdate,
  retryServiceSignal,
  retryServiceUpdate,
  cancelSignal,
  cancelUpdate,
  continueRollbackSignal,
  continueRollbackUpdate,
  rollbackSignal,
  rollbackUpdate,
  operatorInputProblem,
  type ContinueRollbackInput,
  type OperatorRequestInput,
  type RequestAccepted,
  type ServiceRequestInput,
} from '../api/messages';
import type { OperatorRequest, OperatorRequestKind, ServiceState } from '../api/progress';
import { fitUtf8 } from '../api/temporal-limits';
import type { RunState } from './deployment';
import {
  acceptRefusal,
  approvalRefusal,
  continueRollbackRefusal,
  pauseRefusal,
  resumeRefusal,
  retryRefusal,
  stopRefusal,
  type RequestContext,
} from './operator-rules';
import type { ProgressTracker } from './progress-tracker';

type Via = OperatorRequest['via'];

/**
 * From this patch on, a signal whose payload has the wrong shape (`pause 42`, an unknown field) is
 * recorded as ignored, as its update's validator refuses it. Runs recorded before it acted on such a
 * signal, and replay the same. patched() is asked only for a bad payload, so a run that never got
 * one carries no marker.
 */
export const PATCH_SIGNAL_PAYLOAD_CHECK = 'signal-payload-check-v1';

type InputShape = Parameters<typeof operatorInputProblem>[0];

/** The shape problem of a signal's payload (updates never get here with one: their validator refused it). */
function payloadProblem(shape: InputShape, input: unknown): string | undefined {
  const problem = operatorInputProblem(shape, input);
  return problem !== undefined && patched(PATCH_SIGNAL_PAYLOAD_CHECK) ? problem : undefined;
}

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

/**
 * What each update's validator refuses, by update name: first the payload's shape (a wrong type or
 * an unknown field, with the field and the fix), then whether the request makes sense now.
 * Exported so the fuzzer runs the validators' own logic (fuzz/properties/operator-payloads.ts).
 */
export const updateRefusals = {
  pause: (input: unknown, ctx: RequestContext) => operatorInputProblem('plain', input) ?? pauseRefusal(ctx),
  resume: (input: unknown, ctx: RequestContext) => operatorInputProblem('plain', input) ?? resumeRefusal(ctx),
  approve: (input: unknown, ctx: RequestContext) => operatorInputProblem('service', input) ?? approvalRefusal('approve', input as ServiceRequestInput, ctx),
  reject: (input: unknown, ctx: RequestContext) => operatorInputProblem('service', input) ?? approvalRefusal('reject', input as ServiceRequestInput, ctx),
  retry_service: (input: unknown, ctx: RequestContext) => operatorInputProblem('service', input) ?? retryRefusal(input as ServiceRequestInput, ctx),
  request_cancel: (input: unknown, ctx: RequestContext) => operatorInputProblem('plain', input) ?? stopRefusal('cancel', ctx),
  request_rollback: (input: unknown, ctx: RequestContext) => operatorInputProblem('plain', input) ?? stopRefusal('rollback', ctx),
  accept: (input: unknown, ctx: RequestContext) => operatorInputProblem('plain', input) ?? acceptRefusal(ctx),
  continue_rollback: (input: unknown, ctx: RequestContext) =>
    operatorInputProblem('continue_rollback', input) ?? continueRollbackRefusal(input as ContinueRollbackInput, ctx),
} satisfies Record<string, (input: unknown, ctx: RequestContext) => string | undefined>;

export function installOperatorHandlers(state: RunState, tracker: ProgressTracker): void {
  const context = (): RequestContext => ({
    phase: tracker.phase,
    stopped: state.awaitingDecision ? undefined : state.stop?.trigger,
    awaitingDecision: state.awaitingDecision,
    decided: state.decision !== undefined,
    continuePending: state.continueRequests.length > 0,
    blocked: tracker.data.rollback?.blocked ?? [],
    paused: state.paused !== undefined,
    halted: state.halted,
    services: serviceStates(tracker),
    decidedApprovals: [...state.approvalDecisions.keys()],
  });
  const accepted = (message: string): RequestAccepted => ({ accepted: true, phase: tracker.phase, message });

  const stop = (kind: 'cancel' | 'rollback', input: OperatorRequestInput | undefined, via: Via): RequestAccepted => {
    const refusal = payloadProblem('plain', input) ?? stopRefusal(kind, context());
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

  /**
   * One door for the controls that act on the forward phase: checks the request (the same rule
   * the update's validator ran), records it with who and why, acts, and wakes the scheduler.
   */
  const control = <I extends ServiceRequestInput>(
    kind: OperatorRequestKind,
    shape: InputShape,
    refusal: (input: I | undefined) => string | undefined,
    act: (input: I | undefined, by: { by?: string; reason?: string }) => string | RequestAccepted,
  ) => {
    return (input: I | undefined, via: Via): RequestAccepted => {
      const service = typeof input?.service === 'string' ? fitUtf8(input.service, MAX_TEXT_BYTES) : undefined;
      const base = { kind, ...(service ? { service } : {}), ...who(input), via };
      const why = payloadProblem(shape, input) ?? refusal(input);
      if (why) {
        tracker.record({ ...base, outcome: 'ignored', note: why });
        return accepted(`ignored: ${why}`);
      }
      tracker.record({ ...base, outcome: 'accepted' });
      const answer = act(input, who(input));
      state.wake++;
      return typeof answer === 'string' ? accepted(answer) : answer;
    };
  };

  const accept = control<OperatorRequestInput>('accept', 'plain', () => acceptRefusal(context()), () => {
    state.decision = 'accept';
    return state.halted
      ? 'accepted: what succeeded stays, nothing more starts; the deployment ends PARTIAL'
      : 'accepted: what was deployed stays; the deployment ends FAILED';
  });
  const pause = control<OperatorRequestInput>('pause', 'plain', () => pauseRefusal(context()), (_input, by) => {
    state.paused = { ...by, at: new Date().toISOString() };
    // The scheduler sets the phase when it wakes; the answer already says where it is going.
    return { accepted: true, phase: 'PAUSED', message: 'paused: nothing new starts; running services finish' };
  });
  const resume = control<OperatorRequestInput>('resume', 'plain', () => resumeRefusal(context()), () => {
    state.paused = undefined;
    return { accepted: true, phase: state.halted ? 'HALTED' : 'DEPLOYING', message: 'resumed' };
  });
  const approval = (kind: 'approve' | 'reject') =>
    control<ServiceRequestInput>(kind, 'service', (input) => approvalRefusal(kind, input, context()), (input, by) => {
      state.approvalDecisions.set(input!.service!, { decision: kind, ...by });
      return kind === 'approve' ? `approved ${input!.service}: it starts when a slot is free` : `rejected ${input!.service}`;
    });
  const approve = approval('approve');
  const reject = approval('reject');
  const retryService = control<ServiceRequestInput>('retry_service', 'service', (input) => retryRefusal(input, context()), (input) => {
    const named = typeof input?.service === 'string' ? [input.service] : undefined;
    state.retryRequests.push(named ?? 'all-failed');
    if (state.awaitingDecision) {
      state.decision = 'retry';
      // The manual strategy stopped everything: what did not succeed runs again, named or not.
      return 'retrying every service that did not succeed (rollback_strategy: manual)';
    }
    return named ? `retrying ${named[0]}` : 'retrying every failed service';
  });

  const continueRollback = (input: ContinueRollbackInput | undefined, via: Via): RequestAccepted => {
    const base = { kind: 'continue_rollback' as const, ...who(input), via };
    // Signals have no validator: the same check runs here, and a refusal is recorded, not thrown.
    const refusal = payloadProblem('continue_rollback', input) ?? continueRollbackRefusal(input, context());
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
  setHandler(pauseSignal, (input) => void pause(input, 'signal'));
  setHandler(resumeSignal, (input) => void resume(input, 'signal'));
  setHandler(approveSignal, (input) => void approve(input, 'signal'));
  setHandler(rejectSignal, (input) => void reject(input, 'signal'));
  setHandler(retryServiceSignal, (input) => void retryService(input, 'signal'));
  // Validators run only for new updates, never on replay, and a refusal is not recorded: no command changes.
  const validator = (kind: keyof typeof updateRefusals) => (input: unknown) => refuseWith(updateRefusals[kind](input, context()));
  setHandler(pauseUpdate, (input) => pause(input, 'update'), { validator: validator('pause') });
  setHandler(resumeUpdate, (input) => resume(input, 'update'), { validator: validator('resume') });
  setHandler(approveUpdate, (input) => approve(input, 'update'), { validator: validator('approve') });
  setHandler(rejectUpdate, (input) => reject(input, 'update'), { validator: validator('reject') });
  setHandler(retryServiceUpdate, (input) => retryService(input, 'update'), { validator: validator('retry_service') });
  setHandler(cancelUpdate, (input) => stop('cancel', input, 'update'), { validator: validator('request_cancel') });
  setHandler(rollbackUpdate, (input) => stop('rollback', input, 'update'), { validator: validator('request_rollback') });
  setHandler(acceptUpdate, (input) => accept(input, 'update'), { validator: validator('accept') });
  setHandler(continueRollbackSignal, (input) => void continueRollback(input, 'signal'));
  setHandler(continueRollbackUpdate, (input) => continueRollback(input, 'update'), { validator: validator('continue_rollback') });

  // Temporal's own cancellation (temporal workflow cancel, the Web UI's Cancel) is a cancel request.
  // Even when the stop itself is refused (a rollback already runs), the workflow must end cancelled.
  CancellationScope.current().cancelRequested.catch(() => {
    state.temporalCancelRequested = true;
    stop('cancel', { reason: 'Temporal cancellation requested' }, 'temporal-cancel');
  });
}

function serviceStates(tracker: ProgressTracker): Record<string, ServiceState> {
  const states: Record<string, ServiceState> = {};
  for (const s of Object.values(tracker.data.services)) states[s.name] = s.state;
  return states;
}
