/**
 * Every signal, query and update a deployment answers, defined once and imported by both the
 * workflow (setHandler) and the client (handle.query / signal / executeUpdate), so a name can't
 * drift between the two. The `temporal` CLI and the Web UI use the same names.
 *
 * Signals are for doors that can't wait for an answer (the Web UI's Send Signal, `temporal
 * workflow signal`); the CLI uses the updates, which share the signals' handlers but refuse, with
 * a reason, a request that makes no sense now.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DeploymentPhase, DeploymentProgress, HealthReport } from './progress';

/** The deployment's phase and every service's state, outputs, resources and error. */
export const progressQuery = defineQuery<DeploymentProgress>('progress');

/** The last health result per service (verify step) and of the manifest's health checks. */
export const healthQuery = defineQuery<HealthReport>('health');

/** Who asks and why; both optional, both recorded in progress. */
export interface OperatorRequestInput {
  reason?: string;
  by?: string;
}

export interface ContinueRollbackInput extends OperatorRequestInput {
  /** Run the blocked compensations again. */
  retry?: boolean;
  /** Give up on these resource IDs: reported as retained, the rollback goes on. */
  skip?: string[];
}

export interface RequestAccepted {
  accepted: true;
  phase: DeploymentPhase;
  message: string;
}

/** Stop deploying, roll back what was done, end CANCELLED. Same as Temporal's own cancellation. */
export const cancelSignal = defineSignal<[OperatorRequestInput?]>('cancel');
/** Stop deploying, roll back what was done, end ROLLED_BACK. */
export const rollbackSignal = defineSignal<[OperatorRequestInput?]>('rollback');
/**
 * Keep what was deployed: under rollback_strategy manual after a failure (ends FAILED), or when
 * HALTED by on_failure: halt (ends PARTIAL).
 */
export const acceptSignal = defineSignal<[OperatorRequestInput?]>('accept');

export const cancelUpdate = defineUpdate<RequestAccepted, [OperatorRequestInput]>('request_cancel');
export const rollbackUpdate = defineUpdate<RequestAccepted, [OperatorRequestInput]>('request_rollback');
export const acceptUpdate = defineUpdate<RequestAccepted, [OperatorRequestInput]>('accept');
/**
 * Unblock a ROLLBACK_BLOCKED rollback from the Web UI or `temporal workflow signal --name
 * continue_rollback --input '{"retry":true}'`: same checks as the update; a refused one is recorded
 * in progress as ignored, with why.
 */
export const continueRollbackSignal = defineSignal<[ContinueRollbackInput?]>('continue_rollback');
/** Unblock a ROLLBACK_BLOCKED rollback: retry the failed compensations, or skip resources. */
export const continueRollbackUpdate = defineUpdate<RequestAccepted, [ContinueRollbackInput]>('continue_rollback');

/** approve / reject name the gated service; retry_service names a failed one (or all, when absent). */
export interface ServiceRequestInput extends OperatorRequestInput {
  service?: string;
}

/**
 * Pause: nothing new starts (approved services included); running services finish. Phase PAUSED
 * until `resume`. Signals and updates share a handler; a refused signal is recorded as ignored.
 */
export const pauseSignal = defineSignal<[OperatorRequestInput?]>('pause');
export const pauseUpdate = defineUpdate<RequestAccepted, [OperatorRequestInput]>('pause');
export const resumeSignal = defineSignal<[OperatorRequestInput?]>('resume');
export const resumeUpdate = defineUpdate<RequestAccepted, [OperatorRequestInput]>('resume');
/** Approve a service waiting in AWAITING_APPROVAL: `{"service":"database","by":"ana","reason":"…"}`. */
export const approveSignal = defineSignal<[ServiceRequestInput?]>('approve');
export const approveUpdate = defineUpdate<RequestAccepted, [ServiceRequestInput]>('approve');
/** Reject it: the service fails (on_reject: fail) or its branch waits for a fix and a new request (halt). */
export const rejectSignal = defineSignal<[ServiceRequestInput?]>('reject');
export const rejectUpdate = defineUpdate<RequestAccepted, [ServiceRequestInput]>('reject');
/**
 * Run failed services again (after fixing their cause) when the deployment is HALTED, or FAILED
 * awaiting a decision under rollback_strategy manual: the named one, or every failed one; what
 * they had skipped runs after them. Succeeded services are not redone.
 */
export const retryServiceSignal = defineSignal<[ServiceRequestInput?]>('retry_service');
export const retryServiceUpdate = defineUpdate<RequestAccepted, [ServiceRequestInput]>('retry_service');

/**
 * The payload each update takes, checked by its validator before anything else: a wrong type (a
 * number, a string, a list, `service: 5`, `skip: "db"`) or an unknown field (a typo such as
 * `services`) is refused with the field and the fix, where the validators used to ignore their
 * input and accept, say, `pause 42` (found by the fuzzer, FUZZ.md). A missing payload (undefined or
 * null) is no details. Pure: the workflow's validators and tests call it.
 */
export type OperatorInputShape = 'plain' | 'service' | 'continue_rollback';

/** A manifest's names have at most 63 characters; a refusal quotes the name, so an unbounded one would make an unbounded answer. */
const MAX_SERVICE_NAME_CHARS = 63;
const MAX_SKIP_ENTRIES = 1000;
/** Resource IDs are the executors' (ARNs, URLs, OpenTofu addresses with for_each keys): room for all of them. */
const MAX_SKIP_ID_CHARS = 2048;

const FIELDS: Record<OperatorInputShape, Record<string, 'string' | 'boolean' | 'string list'>> = {
  plain: { reason: 'string', by: 'string' },
  service: { reason: 'string', by: 'string', service: 'string' },
  continue_rollback: { reason: 'string', by: 'string', retry: 'boolean', skip: 'string list' },
};

function describeJson(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'string') return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)})`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value} (${String(value)})`;
}

/** Why `input` is not a payload of this shape, or undefined when it is. */
export function operatorInputProblem(shape: OperatorInputShape, input: unknown): string | undefined {
  const fields = FIELDS[shape];
  const example = shape === 'service' ? '{"service": "db", "reason": "…", "by": "…"}' : shape === 'continue_rollback' ? '{"retry": true} or {"skip": ["<resource id>"]}' : '{"reason": "…", "by": "…"} (both optional)';
  if (input === undefined || input === null) return undefined;
  if (typeof input !== 'object' || Array.isArray(input)) return `the input must be an object such as ${example}, got ${describeJson(input)}`;
  for (const [key, value] of Object.entries(input)) {
    const expected = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (expected === undefined) {
      return `unknown field ${JSON.stringify(key.length > 40 ? `${key.slice(0, 37)}...` : key)}; the fields are ${Object.keys(fields).join(', ')}`;
    }
    if (value === undefined) continue;
    const ok =
      expected === 'string list'
        ? Array.isArray(value) && value.every((item) => typeof item === 'string')
        : typeof value === expected;
    if (!ok) return `${key} must be ${expected === 'string list' ? 'a list of strings' : `a ${expected}`}, got ${describeJson(value)}`;
    if (key === 'service' && (value === '' || (value as string).length > MAX_SERVICE_NAME_CHARS)) {
      return `service must be a service name (1-${MAX_SERVICE_NAME_CHARS} characters), got ${describeJson(value)}`;
    }
    if (key === 'skip' && ((value as string[]).length > MAX_SKIP_ENTRIES || (value as string[]).some((id) => id.length > MAX_SKIP_ID_CHARS))) {
      return `skip takes at most ${MAX_SKIP_ENTRIES} resource IDs or service names of at most ${MAX_SKIP_ID_CHARS} characters each`;
    }
  }
  return undefined;
}
