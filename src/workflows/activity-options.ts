/**
 * Activity options derived from a service's manifest entry. Pure, so it is unit-testable and
 * identical on every replay.
 *
 * Options are compiled and checked here, up front, with the SDK's own checks: an option the SDK
 * or the server would reject must never reach `proxyActivities`, where it throws a plain error
 * that fails the workflow task on every attempt and wedges the deployment. It becomes a
 * non-retryable failure naming the manifest field instead.
 */
import { ActivityCancellationType, ApplicationFailure, type ActivityOptions } from '@temporalio/workflow';
import { compileRetryPolicy, type RetryPolicy } from '@temporalio/common';
import { MAX_SUMMARY_BYTES, fitUtf8 } from '../api/temporal-limits';
import { FailureTypes, WORKER_INTERRUPTION_ALLOWANCE, stepRetrySpec, type DeployStep } from '../api/workflow-types';
import { parseDuration, type ServiceSpec } from '../manifest/schema';

/**
 * Long enough to survive a GC pause or a slow event loop (steps beat every second), short enough
 * that a killed worker's step is retried soon.
 */
export const HEARTBEAT_TIMEOUT_MS = 10_000;

/** Cancellation types, named for why they are chosen (set explicitly on every activity). */
export const ActivityCancellation = {
  /** Side effects: wait until the activity has stopped, so nothing runs on unobserved. */
  wait: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  /** Reads and probes: nothing to wait for. */
  tryCancel: ActivityCancellationType.TRY_CANCEL,
} as const;

/**
 * The options of one step (apply, verify or compensate) of one service. `taskQueue`: the service's
 * specialty queue (absent: the workflow's own, as for runs started before specialty queues).
 */
export function stepActivityOptions(service: ServiceSpec, step: DeployStep, summary: string, taskQueue?: string): ActivityOptions {
  const field = (name: string) => `deployment.services[name=${service.name}].${name}`;
  const timeoutMs = checkedDuration(() => parseDuration(service.timeout), field('timeout'));
  // Verify probes until the service converges or verify_timeout passes; the last probe may start
  // just before that deadline and take up to `timeout`. (An input that bypassed validation may
  // lack verify_timeout: one probe, as verify was before it existed.)
  const verifyWindowMs =
    step === 'verify' && service.verify_timeout !== undefined
      ? checkedDuration(() => parseDuration(service.verify_timeout), field('verify_timeout'), 0)
      : 0;
  const spec = stepRetrySpec(service, step);
  const retryField = field(step === 'compensate' ? 'rollback_retry' : 'retry');
  const retry: RetryPolicy = {
    // The step runner enforces max_attempts itself, not counting attempts a worker shutdown
    // handed back; Temporal's limit is the backstop.
    maximumAttempts: spec.max_attempts + WORKER_INTERRUPTION_ALLOWANCE,
    initialInterval: checkedDuration(() => parseDuration(spec.initial_interval), `${retryField}.initial_interval`),
    backoffCoefficient: spec.backoff,
    maximumInterval: checkedDuration(() => parseDuration(spec.maximum_interval), `${retryField}.maximum_interval`),
    nonRetryableErrorTypes: [FailureTypes.permanent, FailureTypes.manifest],
  };
  try {
    compileRetryPolicy(retry);
  } catch (err) {
    throw invalidOption(retryField, (err as Error).message);
  }
  return {
    summary: fitUtf8(summary, MAX_SUMMARY_BYTES),
    // The manifest's timeout bounds one attempt of one step, never the whole service.
    startToCloseTimeout: timeoutMs + verifyWindowMs,
    heartbeatTimeout: Math.min(HEARTBEAT_TIMEOUT_MS, timeoutMs),
    // Wait for the activity to acknowledge cancellation so a half-applied step is never forgotten.
    cancellationType: ActivityCancellation.wait,
    retry,
    ...(taskQueue ? { taskQueue } : {}),
  };
}

function checkedDuration(parse: () => number, field: string, minMs = 1): number {
  let ms: number;
  try {
    ms = parse();
  } catch (err) {
    throw invalidOption(field, (err as Error).message);
  }
  if (!Number.isFinite(ms) || ms < minMs) throw invalidOption(field, `must be at least ${minMs}ms (got ${ms}ms)`);
  return ms;
}

/** Non-retryable: the same input fails the same way on every retry. */
export function invalidOption(field: string, why: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `${field}: ${why}; fix the manifest (tugboat plan checks it) and deploy again`,
    FailureTypes.manifest,
  );
}
