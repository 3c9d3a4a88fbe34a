/** How long a refused attempt waits: the rest of the cool-down, or the window's end spread by up to a tenth of it. */
import { MIN_REFUSAL_DELAY_MS, refusalDelayMs } from './refusal';
import type { ResilienceSettings } from './settings';

const s: ResilienceSettings = { breaker: { failures: 5, coolDownMs: 30_000 }, budget: { ratio: 0.2, windowMs: 60_000, minCalls: 10 } };
const now = 1_000_000;

describe('refusalDelayMs', () => {
  it('waits out the rest of the cool-down or the probe\'s lease, without jitter', () => {
    expect(refusalDelayMs({ admitted: false, reason: 'breaker-open', retryAt: now + 12_345 }, s, now, () => 0.9)).toBe(12_345);
    expect(refusalDelayMs({ admitted: false, reason: 'probe-in-flight', retryAt: now + 500 }, s, now, () => 0.9)).toBe(500);
  });

  it('spreads retries delayed by the budget over a tenth of the window after it ends', () => {
    const refusal = { admitted: false as const, reason: 'retry-budget' as const, retryAt: now + 10_000 };
    expect(refusalDelayMs(refusal, s, now, () => 0)).toBe(10_000);
    expect(refusalDelayMs(refusal, s, now, () => 0.5)).toBe(13_000);
  });

  it('never asks for a retry sooner than the minimum, even when the time has already come', () => {
    expect(refusalDelayMs({ admitted: false, reason: 'breaker-open', retryAt: now - 5 }, s, now)).toBe(MIN_REFUSAL_DELAY_MS);
  });
});
