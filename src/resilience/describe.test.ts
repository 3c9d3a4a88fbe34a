import { describeBreaker } from './describe';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('describeBreaker', () => {
  it('says when an open breaker lets its probe go', () => {
    expect(describeBreaker({ state: 'open', consecutiveFailures: 3, openedAt: iso(T0), retryAt: iso(T0 + 20_000) }, T0 + 5_000)).toBe(
      `OPEN since ${iso(T0)} after 3 consecutive transient failures; its calls fail fast; one probe may go in 15s (${iso(T0 + 20_000)})`,
    );
    expect(describeBreaker({ state: 'open', consecutiveFailures: 1, openedAt: iso(T0), retryAt: iso(T0) }, T0 + 1)).toMatch(/1 consecutive transient failure; .*the next attempt is the probe$/);
  });

  it('names the probe in flight when half-open', () => {
    expect(describeBreaker({ state: 'half-open', consecutiveFailures: 2, openedAt: iso(T0), probeKey: 'k', probeSince: iso(T0 + 1) }, T0)).toBe(
      `HALF-OPEN since ${iso(T0)} after 2 consecutive transient failures; one probe in flight since ${iso(T0 + 1)} decides whether it closes`,
    );
    expect(describeBreaker({ state: 'half-open', consecutiveFailures: 2 }, T0)).toMatch(/the next attempt is the probe$/);
  });

  it('is terse when closed', () => {
    expect(describeBreaker({ state: 'closed', consecutiveFailures: 0 }, T0)).toBe('closed');
    expect(describeBreaker({ state: 'closed', consecutiveFailures: 2 }, T0)).toBe('closed (2 consecutive transient failures)');
  });
});
