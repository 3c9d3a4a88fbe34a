/** A provider's breaker in words, for `tugboat status`. Pure. */
import type { ProviderHealth } from '../api/resilience';
import { formatMs } from '../plan/render';

export function describeBreaker(breaker: ProviderHealth['breaker'], now: number): string {
  const failures = `${breaker.consecutiveFailures} consecutive transient failure${breaker.consecutiveFailures === 1 ? '' : 's'}`;
  const since = breaker.openedAt ? ` since ${breaker.openedAt}` : '';
  switch (breaker.state) {
    case 'closed':
      return breaker.consecutiveFailures > 0 ? `closed (${failures})` : 'closed';
    case 'open': {
      const retryAt = Date.parse(breaker.retryAt ?? '');
      const when = Number.isFinite(retryAt)
        ? retryAt > now
          ? `one probe may go in ${formatMs(retryAt - now)} (${breaker.retryAt})`
          : 'the next attempt is the probe'
        : 'waiting for its cool-down';
      return `OPEN${since} after ${failures}; its calls fail fast; ${when}`;
    }
    case 'half-open':
      return breaker.probeKey
        ? `HALF-OPEN${since} after ${failures}; one probe in flight since ${breaker.probeSince} decides whether it closes`
        : `HALF-OPEN${since} after ${failures}; the next attempt is the probe`;
  }
}

/** A provider's breaker as JSON for people and scripts (`status --json`, `workers --json`). Pure. */
export function breakerJson(h: ProviderHealth) {
  return {
    provider: h.provider,
    state: h.breaker.state,
    consecutive_failures: h.breaker.consecutiveFailures,
    opened_at: h.breaker.openedAt ?? null,
    /** While open: when one probe may go. */
    retry_at: h.breaker.retryAt ?? null,
    /** While half-open: since when its probe is in flight (null: the next attempt probes). */
    probe_since: h.breaker.probeSince ?? null,
  };
}
