/**
 * Attempt accounting (pure): attempts a worker shutdown handed back are free, attempts that ended
 * without a record (timeouts, killed workers) are spent, and a step scheduled again counts afresh.
 */
import type { AttemptRecord } from '../state';
import { spentBefore, trimMessage, withCurrent } from './attempts';

const record = (attempt: number, outcome: AttemptRecord['outcome'], message?: string, execution = 'run-1/1'): AttemptRecord => ({
  idempotencyKey: 'dep-1:api:apply',
  deploymentId: 'dep-1',
  service: 'api',
  step: 'apply',
  execution,
  attempt,
  outcome,
  ...(message === undefined ? {} : { message }),
  endedAt: new Date(0).toISOString(),
});

describe('spentBefore', () => {
  it('is zero before the first attempt', () => {
    expect(spentBefore([], 'run-1/1', 1)).toEqual({ attempts: 0 });
  });

  it('does not count attempts handed back by a worker shutdown', () => {
    const records = [record(1, 'failed', 'throttled'), record(2, 'interrupted'), record(3, 'interrupted')];
    expect(spentBefore(records, 'run-1/1', 4)).toEqual({ attempts: 1, lastFailure: 'throttled' });
  });

  it('counts an attempt that left no record (it timed out, or its worker was killed) as spent', () => {
    expect(spentBefore([record(1, 'interrupted')], 'run-1/1', 3)).toEqual({
      attempts: 1,
      lastFailure: 'attempt 2 did not report back (it timed out or its worker died)',
    });
  });

  it('keeps the last failure of the attempts spent, in attempt order', () => {
    const records = [record(2, 'failed', 'second'), record(1, 'failed', 'first'), record(3, 'interrupted')];
    expect(spentBefore(records, 'run-1/1', 4)).toEqual({ attempts: 2, lastFailure: 'second' });
  });

  it('ignores the records of an earlier scheduling of the same step, and of later attempts', () => {
    const records = [record(1, 'interrupted', undefined, 'run-1/7'), record(1, 'failed', 'old', 'run-1/1'), record(5, 'failed', 'x', 'run-1/7')];
    expect(spentBefore(records, 'run-1/7', 3)).toEqual({
      attempts: 1,
      lastFailure: 'attempt 2 did not report back (it timed out or its worker died)',
    });
  });
});

describe('withCurrent', () => {
  it('adds the current attempt, and its failure replaces the last one', () => {
    expect(withCurrent({ attempts: 1, lastFailure: 'a' })).toEqual({ attempts: 2, lastFailure: 'a' });
    expect(withCurrent({ attempts: 1, lastFailure: 'a' }, 'b')).toEqual({ attempts: 2, lastFailure: 'b' });
    expect(withCurrent({ attempts: 0 })).toEqual({ attempts: 1 });
  });
});

it('trims long messages', () => {
  expect(trimMessage('x'.repeat(5_000))).toHaveLength(2_000);
  expect(trimMessage('short')).toBe('short');
});
