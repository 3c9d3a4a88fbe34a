/**
 * The retry budget: first attempts always go, retries beyond `ratio` of the window's calls (once
 * it has `min_calls`) are delayed to the window's end, compensations are counted but never
 * delayed, and a new window starts afresh.
 */
import fc from 'fast-check';
import { budgetAdmit, currentWindow, freshWindow, type Budget } from './budget';
import type { BudgetSettings } from './settings';

const s: BudgetSettings = { ratio: 0.2, windowMs: 60_000, minCalls: 10 };
const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const retry = { retry: true, delayable: true };
const first = { retry: false, delayable: true };

function calls(n: number, call = first, b: Budget = freshWindow(T0)): Budget {
  for (let i = 0; i < n; i++) b = budgetAdmit(b, s, T0, call).next;
  return b;
}

describe('retry budget', () => {
  it('never delays below min_calls, even retries only', () => {
    const b = calls(9, retry);
    expect(b).toMatchObject({ calls: 9, retries: 9, delayed: 0 });
    expect(budgetAdmit(b, s, T0, retry).verdict).toEqual({ pass: true });
  });

  it('delays a retry that would take retries past the ratio, until the window ends, counting it as delayed and not as a call', () => {
    const b = calls(1, retry, calls(9)); // 10 calls, 1 retry
    expect(budgetAdmit(b, s, T0, retry).verdict).toEqual({ pass: true }); // 2 of 11 ≤ 20%
    const full = budgetAdmit(b, s, T0, retry).next;
    const refused = budgetAdmit(full, s, T0 + 5_000, retry);
    expect(refused.verdict).toEqual({ pass: false, reason: 'retry-budget', retryAt: T0 + 60_000 });
    expect(refused.next).toMatchObject({ calls: 11, retries: 2, delayed: 1 });
  });

  it('never delays a first attempt, nor a compensation (counted all the same)', () => {
    const full = calls(10, retry);
    expect(budgetAdmit(full, s, T0, first).verdict).toEqual({ pass: true });
    const comp = budgetAdmit(full, s, T0, { retry: true, delayable: false });
    expect(comp.verdict).toEqual({ pass: true });
    expect(comp.next).toMatchObject({ calls: 11, retries: 11 });
  });

  it('starts a fresh window once the window passed (or its start lies in the future)', () => {
    const full = calls(10, retry);
    expect(currentWindow(full, s, T0 + 59_999)).toBe(full);
    expect(currentWindow(full, s, T0 + 60_000)).toEqual(freshWindow(T0 + 60_000));
    expect(currentWindow(full, s, T0 - 1)).toEqual(freshWindow(T0 - 1));
    expect(budgetAdmit(full, s, T0 + 60_000, retry).verdict).toEqual({ pass: true });
  });

  it('with ratio 1, never delays', () => {
    expect(budgetAdmit(calls(100, retry), { ...s, ratio: 1 }, T0, retry).verdict).toEqual({ pass: true });
  });

  it('over any sequence in one window: retries sent stay within max(ratio × calls, min_calls)', () => {
    fc.assert(
      fc.property(
        fc.record({ ratio: fc.double({ min: 0, max: 1, noNaN: true }), windowMs: fc.constant(60_000), minCalls: fc.integer({ min: 0, max: 20 }) }),
        fc.array(fc.record({ retry: fc.boolean(), delayable: fc.constant(true) }), { maxLength: 200 }),
        (settings, sequence) => {
          let b = freshWindow(T0);
          for (const call of sequence) {
            const { next, verdict } = budgetAdmit(b, settings, T0, call);
            if (!verdict.pass) {
              expect(call.retry).toBe(true);
              expect(next).toEqual({ ...b, delayed: b.delayed + 1 });
            }
            b = next;
            expect(b.retries).toBeLessThanOrEqual(Math.max(settings.ratio * b.calls, settings.minCalls) + 1e-9);
          }
        },
      ),
    );
  });
});
