/**
 * The circuit breaker's transitions, one at a time and as properties over any sequence of events:
 * it opens only after `failures` consecutive transient failures, refuses while open, lets exactly
 * one probe through when half-open (a silent probe's lease runs out after a cool-down), and closes
 * on success.
 */
import fc from 'fast-check';
import { CLOSED, breakerAdmit, breakerRecord, type Breaker, type CallOutcome } from './breaker';
import type { BreakerSettings } from './settings';

const s: BreakerSettings = { failures: 3, coolDownMs: 1_000 };
const T0 = Date.parse('2030-01-01T00:00:00.000Z');

function failTimes(b: Breaker, n: number, now = T0, key = 'k'): Breaker {
  for (let i = 0; i < n; i++) b = breakerRecord(b, s, now, key, 'transient');
  return b;
}

describe('breaker', () => {
  it('stays closed below `failures` consecutive transient failures, and a success resets the count', () => {
    let b = failTimes(CLOSED, 2);
    expect(b).toEqual({ state: 'closed', consecutiveFailures: 2 });
    b = breakerRecord(b, s, T0, 'k', 'success');
    expect(failTimes(b, 2).state).toBe('closed');
  });

  it('opens at the `failures`-th consecutive failure, whichever steps they came from, for one cool-down', () => {
    let b = breakerRecord(CLOSED, s, T0, 'a', 'transient');
    b = breakerRecord(b, s, T0, 'b', 'transient');
    b = breakerRecord(b, s, T0 + 10, 'c', 'transient');
    expect(b).toEqual({ state: 'open', consecutiveFailures: 3, openedAt: new Date(T0 + 10).toISOString(), retryAt: new Date(T0 + 1_010).toISOString() });
  });

  it('refuses every attempt while open, until the cool-down ends', () => {
    const b = failTimes(CLOSED, 3);
    expect(breakerAdmit(b, s, T0 + 999, 'x').verdict).toEqual({ pass: false, reason: 'breaker-open', retryAt: T0 + 1_000 });
  });

  it('after the cool-down, lets one probe through and refuses the others until it answers', () => {
    const open = failTimes(CLOSED, 3);
    const probe = breakerAdmit(open, s, T0 + 1_000, 'p');
    expect(probe.verdict).toEqual({ pass: true, probe: true });
    expect(probe.next).toMatchObject({ state: 'half-open', probeKey: 'p', probeSince: new Date(T0 + 1_000).toISOString() });
    expect(breakerAdmit(probe.next, s, T0 + 1_500, 'other').verdict).toEqual({ pass: false, reason: 'probe-in-flight', retryAt: T0 + 2_000 });
    // The probe's own step retrying (its worker died) is still the probe.
    expect(breakerAdmit(probe.next, s, T0 + 1_500, 'p').verdict).toEqual({ pass: true, probe: true });
  });

  it('closes when the probe succeeds, and opens again with a fresh cool-down when it fails', () => {
    const half = breakerAdmit(failTimes(CLOSED, 3), s, T0 + 1_000, 'p').next;
    expect(breakerRecord(half, s, T0 + 1_200, 'p', 'success')).toEqual(CLOSED);
    const reopened = breakerRecord(half, s, T0 + 1_200, 'p', 'transient');
    expect(reopened).toEqual({
      state: 'open',
      consecutiveFailures: 4,
      openedAt: new Date(T0).toISOString(),
      retryAt: new Date(T0 + 2_200).toISOString(),
    });
  });

  it('is not wedged by a probe that never answers: after a cool-down another step probes', () => {
    const half = breakerAdmit(failTimes(CLOSED, 3), s, T0 + 1_000, 'dead').next;
    const next = breakerAdmit(half, s, T0 + 2_000, 'alive');
    expect(next.verdict).toEqual({ pass: true, probe: true });
    expect(next.next.probeKey).toBe('alive');
  });

  it('frees the probe slot when the probe ends neutral (a permanent failure, a cancellation): it says nothing of the provider', () => {
    const half = breakerAdmit(failTimes(CLOSED, 3), s, T0 + 1_000, 'p').next;
    const freed = breakerRecord(half, s, T0 + 1_100, 'p', 'neutral');
    expect(freed).toEqual({ state: 'half-open', consecutiveFailures: 3, openedAt: new Date(T0).toISOString() });
    expect(breakerAdmit(freed, s, T0 + 1_100, 'q').verdict).toEqual({ pass: true, probe: true });
    // A neutral end of any other call changes nothing.
    expect(breakerRecord(half, s, T0 + 1_100, 'other', 'neutral')).toBe(half);
    expect(breakerRecord(CLOSED, s, T0, 'x', 'neutral')).toBe(CLOSED);
  });

  it('counts a late failure of a call let through before it opened, without extending the cool-down', () => {
    const open = failTimes(CLOSED, 3);
    expect(breakerRecord(open, s, T0 + 500, 'late', 'transient')).toEqual({ ...open, consecutiveFailures: 4 });
  });

  it('with failures: 0, never opens and never refuses (even a breaker another service opened)', () => {
    const off = { ...s, failures: 0 };
    const b = failTimes(CLOSED, 50);
    expect(breakerRecord(CLOSED, off, T0, 'k', 'transient')).toEqual({ state: 'closed', consecutiveFailures: 1 });
    expect(breakerAdmit(b, off, T0, 'k')).toEqual({ next: b, verdict: { pass: true, probe: false } });
  });
});

type Event = { at: number; kind: 'admit'; key: string } | { at: number; kind: 'end'; key: string; outcome: CallOutcome };

const keys = fc.constantFrom('a', 'b', 'c', 'd');
const eventArb: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ at: fc.integer({ min: 0, max: 700 }), kind: fc.constant('admit' as const), key: keys }),
  fc.record({ at: fc.integer({ min: 0, max: 700 }), kind: fc.constant('end' as const), key: keys, outcome: fc.constantFrom<CallOutcome>('success', 'transient', 'neutral') }),
);
const settingsArb = fc.record({ failures: fc.integer({ min: 1, max: 4 }), coolDownMs: fc.integer({ min: 1, max: 2_000 }) });

describe('breaker properties', () => {
  it('over any sequence of events: consistent fields, refusals only when not closed and always with a future retry time, at most one live probe', () => {
    fc.assert(
      fc.property(settingsArb, fc.array(eventArb, { maxLength: 80 }), (settings, events) => {
        let b = CLOSED;
        let now = T0;
        /** Probes admitted and not ended: key → when admitted. */
        const liveProbes = new Map<string, number>();
        for (const e of events) {
          now += e.at;
          if (e.kind === 'admit') {
            const { next, verdict } = breakerAdmit(b, settings, now, e.key);
            if (!verdict.pass) {
              expect(b.state).not.toBe('closed');
              expect(verdict.retryAt).toBeGreaterThan(now);
            } else if (verdict.probe) {
              // Any other probe still live must have had its full lease.
              for (const [key, since] of liveProbes) if (key !== e.key) expect(now - since).toBeGreaterThanOrEqual(settings.coolDownMs);
              liveProbes.clear();
              liveProbes.set(e.key, now);
            } else {
              expect(b.state).toBe('closed');
            }
            b = next;
          } else {
            b = breakerRecord(b, settings, now, e.key, e.outcome);
            liveProbes.delete(e.key);
          }
          if (b.state === 'closed') {
            expect(b.openedAt ?? b.retryAt ?? b.probeKey).toBeUndefined();
            expect(b.consecutiveFailures).toBeLessThan(settings.failures);
          } else {
            expect(b.consecutiveFailures).toBeGreaterThanOrEqual(settings.failures);
            expect(b.openedAt).toBeDefined();
          }
          if (b.state === 'open') expect(b.probeKey).toBeUndefined();
        }
      }),
    );
  });

  it('a success always closes it', () => {
    fc.assert(
      fc.property(settingsArb, fc.array(eventArb, { maxLength: 40 }), keys, (settings, events, key) => {
        let b = CLOSED;
        let now = T0;
        for (const e of events) {
          now += e.at;
          b = e.kind === 'admit' ? breakerAdmit(b, settings, now, e.key).next : breakerRecord(b, settings, now, e.key, e.outcome);
        }
        expect(breakerRecord(b, settings, now, key, 'success')).toEqual(CLOSED);
      }),
    );
  });
});
