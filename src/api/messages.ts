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
/** Under rollback_strategy manual, after a failure: keep what was deployed and end FAILED. */
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
