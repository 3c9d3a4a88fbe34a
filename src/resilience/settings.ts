/**
 * A service's resilience settings in the units the state machine works in (milliseconds, counts).
 * Pure. The manifest's blocks are merged field by field by effectiveResilience (src/api/resilience.ts).
 */
import { effectiveResilience, type EffectiveResilience } from '../api/resilience';
import { parseDuration, type ResilienceSpec } from '../manifest/schema';

export interface BreakerSettings {
  /** Consecutive transient failures that open the breaker; 0: no breaker. */
  failures: number;
  /** How long it stays open before one probe goes; also how long a probe may stay silent before another may go. */
  coolDownMs: number;
}

export interface BudgetSettings {
  /** Retries may be at most this share of the window's calls; 1: no budget. */
  ratio: number;
  windowMs: number;
  /** Below this many calls in the window, no retry is delayed. */
  minCalls: number;
}

export interface ResilienceSettings {
  breaker: BreakerSettings;
  budget: BudgetSettings;
}

export function toSettings(effective: EffectiveResilience): ResilienceSettings {
  return {
    breaker: { failures: effective.breaker.failures, coolDownMs: parseDuration(effective.breaker.cool_down) },
    budget: {
      ratio: effective.retry_budget.ratio,
      windowMs: parseDuration(effective.retry_budget.window),
      minCalls: effective.retry_budget.min_calls,
    },
  };
}

/** The settings one step runs under: the deployment's block (strategy.resilience), then the service's. */
export function settingsFor(deployment: ResilienceSpec | undefined, service: ResilienceSpec | undefined): ResilienceSettings {
  return toSettings(effectiveResilience(deployment, service));
}
