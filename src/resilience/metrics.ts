/**
 * Tugboat's provider metrics, recorded through the activity's metric meter (Temporal's runtime
 * telemetry exports them beside its own worker metrics). Every one is tagged `provider`.
 */
import type { MetricCounter, MetricGauge, MetricMeter } from '@temporalio/common';
import type { ProviderHealth } from '../api/resilience';
import type { CallOutcome, RefusalReason } from './health';

export const PROVIDER_METRICS = {
  /** 1 while the breaker is not closed (open, or half-open waiting for its probe), else 0. */
  breakerOpen: 'tugboat_provider_breaker_open',
  /** Calls sent, by `outcome`: success, transient_failure, other (permanent, cancelled, handed back). */
  calls: 'tugboat_provider_calls_total',
  /** Attempts not sent, by `reason`: breaker_open, probe_in_flight, retry_budget. */
  fastFailures: 'tugboat_provider_fast_failures_total',
} as const;

interface Instruments {
  breakerOpen: MetricGauge;
  calls: MetricCounter;
  fastFailures: MetricCounter;
}

const byMeter = new WeakMap<MetricMeter, Instruments>();

function instruments(meter: MetricMeter): Instruments {
  let found = byMeter.get(meter);
  if (!found) {
    found = {
      breakerOpen: meter.createGauge(PROVIDER_METRICS.breakerOpen, 'int', '', 'per provider: 1 while its circuit breaker is open or half-open'),
      calls: meter.createCounter(PROVIDER_METRICS.calls, '', 'calls sent to a provider, by outcome'),
      fastFailures: meter.createCounter(PROVIDER_METRICS.fastFailures, '', 'step attempts not sent to a provider (breaker or retry budget), by reason'),
    };
    byMeter.set(meter, found);
  }
  return found;
}

const OUTCOME_LABEL: Record<CallOutcome, string> = { success: 'success', transient: 'transient_failure', neutral: 'other' };

export function recordCall(meter: MetricMeter, provider: string, outcome: CallOutcome): void {
  instruments(meter).calls.add(1, { provider, outcome: OUTCOME_LABEL[outcome] });
}

export function recordFastFailure(meter: MetricMeter, provider: string, reason: RefusalReason): void {
  instruments(meter).fastFailures.add(1, { provider, reason: reason.replace(/-/g, '_') });
}

export function recordBreakerState(meter: MetricMeter, health: ProviderHealth): void {
  instruments(meter).breakerOpen.set(health.breaker.state === 'closed' ? 0 : 1, { provider: health.provider });
}
