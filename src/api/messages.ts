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
