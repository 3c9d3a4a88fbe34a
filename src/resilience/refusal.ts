/**
 * An attempt the breaker or the retry budget refused, as the Temporal failure the step ends with:
 * retryable, its next-retry delay the time until the provider may be called again, its message
 * naming the provider, why, and when. Pure (the random source is passed in).
 */
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { ProviderHealth } from '../api/resilience';
import { formatMs } from '../plan/render';
import type { Admission, RefusalReason } from './health';
import type { ResilienceSettings } from './settings';

export const RefusalTypes = {
  /** The breaker is open, or half-open with another step's probe in flight. */
  unavailable: 'ProviderUnavailable',
  retryBudget: 'RetryBudgetExhausted',
} as const;

/**
 * Waiting attempts are spread over this share of what they wait out (the budget's window, or the
 * breaker's cool-down, which is also the probe's lease), so they do not all return at once. Without
 * it, every step a breaker refused came back together: one became the probe, the rest were refused
 * again, cycle after cycle, until Temporal's attempt limit ran out for them.
 */
export const REFUSAL_JITTER_FRACTION = 0.1;
/** Never retry sooner than this: the refusal's own round trip through the server. */
export const MIN_REFUSAL_DELAY_MS = 100;

export type Refusal = Extract<Admission, { admitted: false }>;

export interface RefusalContext {
  provider: string;
  health: ProviderHealth | undefined;
  settings: ResilienceSettings;
  now: number;
  /** Temporal gives no attempt after this one (the backstop, max_attempts + the interruption allowance). */
  final: boolean;
  /** Carried as the failure's first detail, as every step failure does (attempts spent). */
  details: unknown[];
  random?: () => number;
}

export function refusalDelayMs(refusal: Refusal, settings: ResilienceSettings, now: number, random: () => number = Math.random): number {
  const spread = refusal.reason === 'retry-budget' ? settings.budget.windowMs : settings.breaker.coolDownMs;
  const jitter = random() * REFUSAL_JITTER_FRACTION * spread;
  return Math.max(MIN_REFUSAL_DELAY_MS, Math.round(refusal.retryAt - now + jitter));
}

export function refusalFailure(refusal: Refusal, c: RefusalContext): ApplicationFailure {
  const delayMs = refusalDelayMs(refusal, c.settings, c.now, c.random);
  const type = refusal.reason === 'retry-budget' ? RefusalTypes.retryBudget : RefusalTypes.unavailable;
  const why = reasonText(refusal.reason, c);
  if (c.final) {
    return ApplicationFailure.create({
      type,
      message: `not sent: ${why}; no attempt is left to wait with (the step's attempts not sent are bounded too)`,
      nonRetryable: true,
      details: c.details,
    });
  }
  return ApplicationFailure.create({
    type,
    message: `not sent: ${why}; this step retries in ${formatMs(delayMs)}${whenText(refusal.reason)} (not counted against max_attempts)`,
    nextRetryDelay: delayMs,
    // Expected while a provider is down: logged at DEBUG, not as a failed activity.
    category: ApplicationFailureCategory.BENIGN,
    details: c.details,
  });
}

function reasonText(reason: RefusalReason, c: RefusalContext): string {
  const b = c.health?.breaker;
  switch (reason) {
    case 'breaker-open':
      return (
        `provider ${c.provider} is unavailable: its circuit breaker is open` +
        `${b?.openedAt ? ` since ${b.openedAt}` : ''} after ${b?.consecutiveFailures ?? '?'} consecutive transient failures`
      );
    case 'probe-in-flight':
      return `provider ${c.provider} is half-open: another step's probe call is in flight and decides whether it closes`;
    case 'retry-budget': {
      const w = c.health?.budget;
      return (
        `provider ${c.provider}'s retry budget is spent: ${w?.retries ?? '?'} of its ${w?.calls ?? '?'} calls in the current ` +
        `${formatMs(c.settings.budget.windowMs)} window were retries, and at most ${Math.round(c.settings.budget.ratio * 100)}% may be`
      );
    }
  }
}

function whenText(reason: RefusalReason): string {
  switch (reason) {
    case 'breaker-open':
      return ', when the cool-down ends and one probe may go';
    case 'probe-in-flight':
      return ', when the probe has answered or its lease ran out';
    case 'retry-budget':
      return ', after the window ends';
  }
}
