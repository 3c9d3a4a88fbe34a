/**
 * One provider's shared health (breaker + retry budget), pure: what StateStore.updateProviderHealth
 * applies atomically. An attempt is admitted by both or refused by one; a refusal is not a call
 * (nothing was sent), so it moves neither the budget's calls nor the breaker.
 */
import type { ProviderHealth } from '../api/resilience';
import { CLOSED, breakerAdmit, breakerRecord, type CallOutcome } from './breaker';
import { budgetAdmit, freshWindow, type BudgetCall } from './budget';
import type { ResilienceSettings } from './settings';

export type { CallOutcome };

export type RefusalReason = 'breaker-open' | 'probe-in-flight' | 'retry-budget';

export type Admission = { admitted: true; probe: boolean } | { admitted: false; reason: RefusalReason; retryAt: number };

export interface AttemptRequest extends BudgetCall {
  /** The step's idempotency key: the same step retrying is the same probe. */
  key: string;
}

export function initialHealth(provider: string, now: number): ProviderHealth {
  return { provider, breaker: CLOSED, budget: freshWindow(now), updatedAt: new Date(now).toISOString() };
}

/** May this attempt go to the provider now? The breaker is asked first: an open provider gets no call to budget. */
export function admitAttempt(
  current: ProviderHealth | undefined,
  provider: string,
  s: ResilienceSettings,
  now: number,
  req: AttemptRequest,
): { next: ProviderHealth; admission: Admission } {
  const health = current ?? initialHealth(provider, now);
  const updatedAt = new Date(now).toISOString();
  const breaker = breakerAdmit(health.breaker, s.breaker, now, req.key);
  if (!breaker.verdict.pass) {
    return { next: { ...health, updatedAt }, admission: { admitted: false, reason: breaker.verdict.reason, retryAt: breaker.verdict.retryAt } };
  }
  const budget = budgetAdmit(health.budget, s.budget, now, req);
  if (!budget.verdict.pass) {
    // The breaker's verdict is dropped: a probe that is not sent must not hold the probe slot.
    return { next: { ...health, budget: budget.next, updatedAt }, admission: { admitted: false, reason: 'retry-budget', retryAt: budget.verdict.retryAt } };
  }
  return { next: { ...health, breaker: breaker.next, budget: budget.next, updatedAt }, admission: { admitted: true, probe: breaker.verdict.probe } };
}

/** How an admitted attempt's call ended. */
export function recordOutcome(
  current: ProviderHealth | undefined,
  provider: string,
  s: ResilienceSettings,
  now: number,
  key: string,
  outcome: CallOutcome,
): ProviderHealth {
  const health = current ?? initialHealth(provider, now);
  return { ...health, breaker: breakerRecord(health.breaker, s.breaker, now, key, outcome), updatedAt: new Date(now).toISOString() };
}
