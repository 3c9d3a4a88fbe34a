/**
 * The retry budget of one provider, pure: a fixed window of `window`, restarted by the first call
 * after it passes. Every call sent counts, first attempts and retries alike; a retry that would
 * take retries past `ratio` of the window's calls, once it has `min_calls`, is delayed until the
 * window ends (not sent, counted in `delayed`). First attempts are never delayed: the budget
 * keeps a struggling provider from being buried under retries, not new work from starting.
 */
import type { ProviderHealth } from '../api/resilience';
import type { BudgetSettings } from './settings';

export type Budget = ProviderHealth['budget'];

export type BudgetVerdict = { pass: true } | { pass: false; reason: 'retry-budget'; retryAt: number };

export interface BudgetCall {
  /** The step failed before (attempts spent): this call is a retry. */
  retry: boolean;
  /** false: counted but never delayed (compensations: a rollback is not held back by a budget). */
  delayable: boolean;
}

export function freshWindow(now: number): Budget {
  return { windowStart: new Date(now).toISOString(), calls: 0, retries: 0, delayed: 0 };
}

/** The window in force at `now`: the current one, or a fresh one when it passed (or lies in the future: a skewed clock). */
export function currentWindow(b: Budget | undefined, s: BudgetSettings, now: number): Budget {
  const start = b ? Date.parse(b.windowStart) : NaN;
  return b && Number.isFinite(start) && start <= now && now < start + s.windowMs ? b : freshWindow(now);
}

export function budgetAdmit(b: Budget | undefined, s: BudgetSettings, now: number, call: BudgetCall): { next: Budget; verdict: BudgetVerdict } {
  const w = currentWindow(b, s, now);
  if (call.retry && call.delayable && s.ratio < 1 && w.calls >= s.minCalls && w.retries + 1 > s.ratio * (w.calls + 1)) {
    return {
      next: { ...w, delayed: w.delayed + 1 },
      verdict: { pass: false, reason: 'retry-budget', retryAt: Date.parse(w.windowStart) + s.windowMs },
    };
  }
  return { next: { ...w, calls: w.calls + 1, retries: w.retries + (call.retry ? 1 : 0) }, verdict: { pass: true } };
}
