/**
 * Activity options derived from a service's manifest entry. Pure, so it is unit-testable and
 * identical on every replay.
 */
import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import { parseDuration, type ServiceSpec } from '../manifest/schema';
import { FailureTypes } from '../api/workflow-types';

/**
 * Long enough to survive a GC pause or a slow event loop (steps beat every second), short enough
 * that a killed worker's step is retried soon.
 */
export const HEARTBEAT_TIMEOUT_MS = 10_000;

export function serviceActivityOptions(service: ServiceSpec, summary: string): ActivityOptions {
  const timeoutMs = parseDuration(service.timeout);
  return {
    summary,
    // The manifest's timeout bounds one attempt of one step, never the whole service.
    startToCloseTimeout: timeoutMs,
    heartbeatTimeout: Math.min(HEARTBEAT_TIMEOUT_MS, timeoutMs),
    // Wait for the activity to acknowledge cancellation so a half-applied step is never forgotten.
    cancellationType: ActivityCancellation.wait,
    retry: {
      maximumAttempts: service.retry.max_attempts,
      initialInterval: parseDuration(service.retry.initial_interval),
      backoffCoefficient: service.retry.backoff,
      maximumInterval: parseDuration(service.retry.maximum_interval),
      nonRetryableErrorTypes: [FailureTypes.permanent, FailureTypes.manifest],
    },
  };
}

/** Cancellation types, named for why they are chosen (set explicitly on every activity). */
export const ActivityCancellation = {
  /** Side effects: wait until the activity has stopped, so nothing runs on unobserved. */
  wait: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  /** Reads and probes: nothing to wait for. */
  tryCancel: ActivityCancellationType.TRY_CANCEL,
} as const;
