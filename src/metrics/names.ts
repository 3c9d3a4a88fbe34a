/**
 * Tugboat's own metric names, their bucket boundaries and label values: one place that the worker
 * side (activity interceptor, runtime options) and the workflow side (workflow interceptor, inside
 * the sandbox) both read, so a name can't drift between where it is recorded and where its
 * buckets are configured. Pure data: safe to import from workflow code.
 */

/** Counter: deployments (and rollbacks of a finished release) that ended, by their result `phase`. */
export const DEPLOYMENTS_TOTAL = 'tugboat_deployments_total';
/** Counter: deployments (and rollbacks of a finished release) that started. Started − ended = running. */
export const DEPLOYMENTS_STARTED_TOTAL = 'tugboat_deployments_started_total';
/** Histogram (seconds): one attempt of one service step (apply, verify, compensate), by executor and outcome. */
export const STEP_DURATION_SECONDS = 'tugboat_step_duration_seconds';
/** Counter: step attempts after the first (Temporal retried the step), by executor and step. */
export const STEP_RETRIES_TOTAL = 'tugboat_step_retries_total';
/** Histogram (seconds, workflow time): from the first compensation scheduled to the end of the rollback. */
export const ROLLBACK_DURATION_SECONDS = 'tugboat_rollback_duration_seconds';
// The provider metrics (breaker state, calls, fast failures) are the step runner's: src/resilience/metrics.ts.

/** A step takes from milliseconds (simulated) to an hour (a database created by OpenTofu). */
export const STEP_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
/** A rollback spans several steps, and may wait for an operator while blocked. */
export const ROLLBACK_DURATION_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];

/** Temporal's defaults are for milliseconds; Tugboat's durations are seconds, as Prometheus prefers. */
export const HISTOGRAM_BUCKET_OVERRIDES: Record<string, number[]> = {
  [STEP_DURATION_SECONDS]: STEP_DURATION_BUCKETS,
  [ROLLBACK_DURATION_SECONDS]: ROLLBACK_DURATION_BUCKETS,
};

/** The activities that run a service step, and the `step` label each gets. */
export const STEP_ACTIVITIES: Readonly<Record<string, 'apply' | 'verify' | 'compensate'>> = {
  applyService: 'apply',
  verifyService: 'verify',
  compensateService: 'compensate',
};

/** The workflows counted as deployments (`workflow_type` label tells them apart). */
export const COUNTED_WORKFLOWS: readonly string[] = ['deploymentWorkflow', 'rollbackReleaseWorkflow'];

/**
 * The `phase` of a deployment whose workflow ended without a result (bad input, a bug; or cancelled
 * before it had one). A deployment that fails or is cancelled normally carries its result, and phase.
 */
export const WORKFLOW_FAILED_PHASE = 'WORKFLOW_FAILED';
export const WORKFLOW_CANCELLED_PHASE = 'CANCELLED';
