/** How long a refused attempt waits: the rest of the cool-down (spread by up to a tenth of it), or the window's end spread by up to a tenth of it. */
import { MIN_REFUSAL_DELAY_MS, refusalDelayMs } from './refusal';
import type { ResilienceSettings } from './settings';

const s: ResilienceSettings = { breaker: { failures: 5, coolDownMs: 30_000 }, budget: { ratio: 0.2, windowMs: 60_000, minCalls: 10 } };
const now = 1_000_000;

describe('refusalDelayMs', () => {
  it('waits out the rest of the cool-down or the probe\'s lease, spread by up to a tenth of the cool-down', () => {
    const open = { admitted: false as const, reason: 'breaker-open' as const, retryAt: now + 12_345 };
    const probing = { admitted: false as const, reason: 'probe-in-flight' as const, retryAt: now + 500 };
    expect(refusalDelayMs(open, s, now, () => 0)).toBe(12_345);
    expect(refusalDelayMs(open, s, now, () => 0.5)).toBe(12_345 + 1_500);
    expect(refusalDelayMs(probing, s, now, () => 0)).toBe(500);
    expect(refusalDelayMs(probing, s, now, () => 0.999)).toBe(500 + 2_997);
  });

  it('spreads the steps a breaker refused together, so they do not all come back at the same moment', () => {
    const refusal = { admitted: false as const, reason: 'breaker-open' as const, retryAt: now + 30_000 };
    const delays = new Set(Array.from({ length: 20 }, () => refusalDelayMs(refusal, s, now)));
    expect(delays.size).toBeGreaterThan(1);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(30_000);
      expect(d).toBeLessThanOrEqual(33_000);
    }
  });

  it('spreads retries delayed by the budget over a tenth of the window after it ends', () => {
    const refusal = { admitted: false as const, reason: 'retry-budget' as const, retryAt: now + 10_000 };
    expect(refusalDelayMs(refusal, s, now, () => 0)).toBe(10_000);
    expect(refusalDelayMs(refusal, s, now, () => 0.5)).toBe(13_000);
  });

  it('never asks for a retry sooner than the minimum, even when the time has already come', () => {
    expect(refusalDelayMs({ admitted: false, reason: 'breaker-open', retryAt: now - 5 }, s, now, () => 0)).toBe(MIN_REFUSAL_DELAY_MS);
  });
});
