/** Breaker and budget together: a refusal is not a call, and a probe the budget delays does not hold the probe slot. */
import { admitAttempt, initialHealth, recordOutcome } from './health';
import type { ResilienceSettings } from './settings';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const s: ResilienceSettings = { breaker: { failures: 1, coolDownMs: 1_000 }, budget: { ratio: 0.5, windowMs: 60_000, minCalls: 2 } };
const retry = (key: string) => ({ key, retry: true, delayable: true });

describe('provider health', () => {
  it('starts closed with an empty window for a provider never seen', () => {
    const { next, admission } = admitAttempt(undefined, 'p', s, T0, { key: 'a', retry: false, delayable: true });
    expect(admission).toEqual({ admitted: true, probe: false });
    expect(next).toEqual({ ...initialHealth('p', T0), budget: { windowStart: new Date(T0).toISOString(), calls: 1, retries: 0, delayed: 0 } });
  });

  it('does not count a call the open breaker refused', () => {
    const open = recordOutcome(admitAttempt(undefined, 'p', s, T0, retry('a')).next, 'p', s, T0, 'a', 'transient');
    const { next, admission } = admitAttempt(open, 'p', s, T0 + 10, retry('b'));
    expect(admission).toEqual({ admitted: false, reason: 'breaker-open', retryAt: T0 + 1_000 });
    expect(next.budget).toEqual(open.budget);
    expect(next.breaker).toEqual(open.breaker);
  });

  it('leaves the probe slot free when the budget delays the would-be probe', () => {
    let h = admitAttempt(undefined, 'p', s, T0, retry('a')).next;
    h = admitAttempt(h, 'p', s, T0, retry('b')).next; // 2 calls, 2 retries: the budget is spent
    h = recordOutcome(h, 'p', s, T0, 'b', 'transient'); // opens
    const { next, admission } = admitAttempt(h, 'p', s, T0 + 1_000, retry('c'));
    expect(admission).toEqual({ admitted: false, reason: 'retry-budget', retryAt: T0 + 60_000 });
    expect(next.breaker).toEqual(h.breaker);
    expect(next.budget.delayed).toBe(1);
    // A first attempt (not delayable by the budget) becomes the probe.
    expect(admitAttempt(next, 'p', s, T0 + 1_000, { key: 'd', retry: false, delayable: true }).admission).toEqual({ admitted: true, probe: true });
  });
});
