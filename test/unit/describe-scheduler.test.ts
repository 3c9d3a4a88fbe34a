/** Which running children a watcher describes, and what a service reports with and without a describe. */
import type { Client } from '@temporalio/client';
import type { ServiceProgress } from '../../src/api/progress';
import { DescribeScheduler, type DescribePolicy } from '../../src/client/describe-scheduler';
import { ChildAttempts, serviceStatus } from '../../src/client/status';

const policy: DescribePolicy = { firstAfterMs: 2_500, everyMs: 5_000, maxPerPoll: 3 };
const ids = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);

describe('DescribeScheduler', () => {
  it('describes a child only once it has run for firstAfterMs, then at most every everyMs', () => {
    const s = new DescribeScheduler(policy);
    const picks: number[] = [];
    for (let t = 0; t <= 20_000; t += 400) if (s.select(['a'], t).length > 0) picks.push(t);
    expect(picks).toEqual([2_800, 8_000, 13_200, 18_400]);
  });

  it('never describes a child that ends before firstAfterMs (most steps succeed on their first attempt)', () => {
    const s = new DescribeScheduler(policy);
    let described = 0;
    // Children each run 2 s, a new one starting every second.
    for (let t = 0; t <= 30_000; t += 400) {
      const running = ids(40).filter((_, i) => t >= i * 1_000 && t < i * 1_000 + 2_000);
      described += s.select(running, t).length;
    }
    expect(described).toBe(0);
  });

  it('caps describes per poll and takes turns, so every long-running child is described', () => {
    const s = new DescribeScheduler(policy);
    const running = ids(10);
    const counts = new Map<string, number>();
    for (let t = 0; t <= 60_000; t += 400) {
      const chosen = s.select(running, t);
      expect(chosen.length).toBeLessThanOrEqual(policy.maxPerPoll);
      for (const id of chosen) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    // Every child had its turn, and none more than the every-5-s bound allows.
    for (const id of running) {
      expect(counts.get(id)).toBeGreaterThanOrEqual(5);
      expect(counts.get(id)).toBeLessThanOrEqual(Math.floor((60_000 - policy.firstAfterMs) / policy.everyMs) + 1);
    }
  });

  it('forgets a child that stopped running: should it run again, its wait starts over', () => {
    const s = new DescribeScheduler(policy);
    expect(s.select(['a'], 0)).toEqual([]);
    expect(s.select(['a'], 3_000)).toEqual(['a']);
    expect(s.select([], 3_400)).toEqual([]);
    expect(s.select(['a'], 3_800)).toEqual([]);
    expect(s.select(['a'], 6_300)).toEqual(['a']);
  });
});

function service(extra: Partial<ServiceProgress>): ServiceProgress {
  return { name: 'db', type: 'terraform', state: 'RUNNING', wave: 0, dependencies: [], outputs: {}, resources: [], workflowId: 'dep-x.db', ...extra };
}

describe('serviceStatus', () => {
  it('is RETRYING with the live attempt when a describe found one past the first', () => {
    const s = serviceStatus(service({}), { attempt: 3, lastFailure: 'boom' });
    expect(s).toMatchObject({ state: 'RETRYING', attempt: 3, last_failure: 'boom', steps: {} });
  });

  it('without a describe, reports the latest recorded step and carries every step in snake_case', () => {
    const s = serviceStatus(
      service({
        state: 'ROLLED_BACK',
        steps: { apply: { attempts: 2, lastFailure: 'transient' }, verify: { attempts: 1 }, compensate: { attempts: 3, lastFailure: 'api down' } },
      }),
      undefined,
    );
    expect(s).toMatchObject({ state: 'ROLLED_BACK', attempt: 3, last_failure: 'api down' });
    expect(s.steps).toEqual({
      apply: { attempts: 2, last_failure: 'transient' },
      verify: { attempts: 1, last_failure: null },
      compensate: { attempts: 3, last_failure: 'api down' },
    });
    expect(serviceStatus(service({ state: 'SUCCEEDED', steps: { apply: { attempts: 2, lastFailure: 'x' } } }), undefined)).toMatchObject({
      state: 'SUCCEEDED',
      attempt: 2,
      last_failure: 'x',
    });
    expect(serviceStatus(service({ state: 'PENDING' }), undefined)).toMatchObject({ attempt: null, last_failure: null, steps: {} });
  });
});

describe('ChildAttempts', () => {
  /** A client whose describe answers from `attempts` and counts calls per workflow ID. */
  function fakeClient(attempts: Map<string, number>) {
    const calls = new Map<string, number>();
    const client = {
      workflow: {
        getHandle: (id: string) => ({
          describe: async () => {
            calls.set(id, (calls.get(id) ?? 0) + 1);
            const attempt = attempts.get(id);
            return { raw: { pendingActivities: attempt ? [{ attempt, lastFailure: { message: `failure ${attempt - 1}` } }] : [] } };
          },
        }),
      },
    } as unknown as Client;
    return { client, calls };
  }

  it('keeps RETRYING visible between describes, and drops it once the child records an ended step', async () => {
    let now = 0;
    const tracker = new ChildAttempts(policy, () => now);
    const { client, calls } = fakeClient(new Map([['dep-x.db', 2]]));
    const running = service({});
    const at = async (t: number, s = running) => {
      now = t;
      return (await tracker.read(client, [s])).get('dep-x.db');
    };
    expect(await at(0)).toBeUndefined();
    // line: null — the fake's pending activity has no heartbeat details.
    expect(await at(2_800)).toEqual({ attempt: 2, lastFailure: 'failure 1', line: null });
    expect(await at(3_200)).toEqual({ attempt: 2, lastFailure: 'failure 1', line: null }); // cached, not described
    expect(calls.get('dep-x.db')).toBe(1);
    // apply ended (verify runs now): the cached attempt was apply's.
    expect(await at(3_600, service({ steps: { apply: { attempts: 2 } } }))).toBeUndefined();
    expect(calls.get('dep-x.db')).toBe(1);
  });
});
