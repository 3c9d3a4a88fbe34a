/**
 * The circuit breaker of one provider, pure: (state, settings, now, event) → next state (and, on
 * admission, a verdict). Shared by every worker through the state store, so the state is plain
 * data (ProviderHealth['breaker']) and time is passed in.
 *
 *   closed ──`failures` consecutive transient failures──▶ open
 *   open ──cool-down passed, an attempt asks──▶ half-open (that attempt is the probe)
 *   half-open ──probe succeeds──▶ closed;  ──probe fails transiently──▶ open (fresh cool-down)
 *
 * Any success closes it (the provider answered). A permanent failure, a cancellation or a hand-back
 * says nothing about the provider: it counts neither way, but a probe ending so frees the probe
 * slot. A probe that never reports (its worker died) holds the slot for one cool-down at most; the
 * same step retrying (same key) is the probe again.
 */
import type { ProviderHealth } from '../api/resilience';
import type { BreakerSettings } from './settings';

export type Breaker = ProviderHealth['breaker'];

export const CLOSED: Breaker = { state: 'closed', consecutiveFailures: 0 };

export type BreakerVerdict =
  | { pass: true; probe: boolean }
  | { pass: false; reason: 'breaker-open' | 'probe-in-flight'; retryAt: number };

/** What an attempt of the step with idempotency key `key` may do now. */
export function breakerAdmit(b: Breaker, s: BreakerSettings, now: number, key: string): { next: Breaker; verdict: BreakerVerdict } {
  // This service opted out (failures: 0): it neither waits for nor moves the shared state.
  if (s.failures === 0 || b.state === 'closed') return { next: b, verdict: { pass: true, probe: false } };
  if (b.state === 'open') {
    const retryAt = Date.parse(b.retryAt ?? '') || 0;
    if (now < retryAt) return { next: b, verdict: { pass: false, reason: 'breaker-open', retryAt } };
    return { next: asProbe(b, now, key), verdict: { pass: true, probe: true } };
  }
  // half-open: one probe at a time; the probe's own retry, a freed slot or a silent probe's lease run out let one through.
  const probeSince = Date.parse(b.probeSince ?? '') || 0;
  const leaseEnds = probeSince + s.coolDownMs;
  if (b.probeKey === undefined || b.probeKey === key || now >= leaseEnds) {
    return { next: asProbe(b, now, key), verdict: { pass: true, probe: true } };
  }
  return { next: b, verdict: { pass: false, reason: 'probe-in-flight', retryAt: leaseEnds } };
}

export type CallOutcome = 'success' | 'transient' | 'neutral';

/** How an admitted call of the step with `key` ended. */
export function breakerRecord(b: Breaker, s: BreakerSettings, now: number, key: string, outcome: CallOutcome): Breaker {
  if (outcome === 'success') return CLOSED;
  const isProbe = b.state === 'half-open' && b.probeKey === key;
  if (outcome === 'neutral') return isProbe ? withoutProbe(b) : b;
  const consecutiveFailures = b.consecutiveFailures + 1;
  if (s.failures === 0) return { ...b, consecutiveFailures };
  if (b.state === 'closed') {
    return consecutiveFailures >= s.failures ? open(now, s, consecutiveFailures, now) : { ...b, consecutiveFailures };
  }
  // A failed probe opens it again with a fresh cool-down; it stays open since the outage began.
  if (isProbe) return open(Date.parse(b.openedAt ?? '') || now, s, consecutiveFailures, now);
  // A call let through before it opened, failing late: counted, nothing else changes.
  return { ...b, consecutiveFailures };
}

function open(openedAt: number, s: BreakerSettings, consecutiveFailures: number, now: number): Breaker {
  return {
    state: 'open',
    consecutiveFailures,
    openedAt: new Date(openedAt).toISOString(),
    retryAt: new Date(now + s.coolDownMs).toISOString(),
  };
}

function asProbe(b: Breaker, now: number, key: string): Breaker {
  return { state: 'half-open', consecutiveFailures: b.consecutiveFailures, openedAt: b.openedAt, probeKey: key, probeSince: new Date(now).toISOString() };
}

function withoutProbe(b: Breaker): Breaker {
  return { state: 'half-open', consecutiveFailures: b.consecutiveFailures, openedAt: b.openedAt };
}
