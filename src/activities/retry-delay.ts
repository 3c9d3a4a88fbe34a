/**
 * Jittered backoff. Temporal retry policies have no jitter, so a transient failure carries its own
 * next-retry delay: the policy's exponential interval spread by ±20%, so services that fail
 * together (a throttled API) don't retry in lockstep.
 */
import { parseDuration, type RetrySpec } from '../manifest/schema';

export const JITTER_FRACTION = 0.2;

/** Delay before the retry that follows attempt `attempt` (1-based). `random` in [0, 1). */
export function nextRetryDelayMs(retry: RetrySpec, attempt: number, random: () => number = Math.random): number {
  const initial = parseDuration(retry.initial_interval);
  const max = parseDuration(retry.maximum_interval);
  const base = Math.min(max, initial * retry.backoff ** Math.max(0, attempt - 1));
  if (!retry.jitter) return base;
  const spread = base * JITTER_FRACTION * (2 * random() - 1);
  return Math.max(1, Math.round(base + spread));
}
