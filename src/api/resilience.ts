/**
 * Per-provider resilience: the shapes shared by the step runner (which enforces), the state stores
 * (which keep them where every worker sees them), `status`, `tugboat workers` and the metrics.
 */
import type { ResilienceSpec } from '../manifest/schema';

export const RESILIENCE_DEFAULTS = {
  breaker: { failures: 5, cool_down: '30s' },
  retry_budget: { ratio: 0.2, window: '1m', min_calls: 10 },
} as const;

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * One provider's shared state. Changed only through StateStore.updateProviderHealth, which applies
 * an update function atomically (a row lock in PostgreSQL, a lock file in the file store): two
 * workers failing at once both count.
 */
export interface ProviderHealth {
  provider: string;
  breaker: {
    state: BreakerState;
    /** Consecutive transient failures since the last success. */
    consecutiveFailures: number;
    /** When it opened (ISO), while open or half-open. */
    openedAt?: string;
    /** While open: when the half-open probe may go. */
    retryAt?: string;
    /** While half-open: the idempotency key of the one probe in flight, and when it was let through. */
    probeKey?: string;
    probeSince?: string;
  };
  /** Calls and retries in the current budget window (a fixed window, restarted when it passes). */
  budget: { windowStart: string; calls: number; retries: number; delayed: number };
  updatedAt: string;
}

/** A service's effective resilience settings: the deployment's, overridden field by field by the service's. */
export function effectiveResilience(deployment: ResilienceSpec | undefined, service: ResilienceSpec | undefined) {
  return {
    provider: service?.provider ?? deployment?.provider,
    breaker: {
      failures: service?.breaker?.failures ?? deployment?.breaker?.failures ?? RESILIENCE_DEFAULTS.breaker.failures,
      cool_down: service?.breaker?.cool_down ?? deployment?.breaker?.cool_down ?? RESILIENCE_DEFAULTS.breaker.cool_down,
    },
    retry_budget: {
      ratio: service?.retry_budget?.ratio ?? deployment?.retry_budget?.ratio ?? RESILIENCE_DEFAULTS.retry_budget.ratio,
      window: service?.retry_budget?.window ?? deployment?.retry_budget?.window ?? RESILIENCE_DEFAULTS.retry_budget.window,
      min_calls: service?.retry_budget?.min_calls ?? deployment?.retry_budget?.min_calls ?? RESILIENCE_DEFAULTS.retry_budget.min_calls,
    },
  };
}
export type EffectiveResilience = ReturnType<typeof effectiveResilience>;
