/** probeUntilHealthy on a fake clock: probes with backoff until healthy, gives up at the deadline, stops on abort. */
import type { VerifyOutcome } from '../api/workflow-types';
import { PermanentDeployError, TransientDeployError } from '../executors/errors';
import { FIRST_PROBE_GAP_MS, MAX_PROBE_GAP_MS, probeUntilHealthy } from './converge';

function fakeClock() {
  let t = 0;
  const waits: number[] = [];
  return {
    now: () => t,
    waits,
    sleep: async (ms: number, signal: AbortSignal) => {
      signal.throwIfAborted();
      waits.push(ms);
      t += ms;
    },
  };
}

const answers = (...healthy: boolean[]) => {
  let i = 0;
  return async (): Promise<VerifyOutcome> => ({ healthy: healthy[Math.min(i++, healthy.length - 1)], detail: `probe ${i}` });
};

describe('probeUntilHealthy', () => {
  it('probes until healthy, backing off from the first gap', async () => {
    const clock = fakeClock();
    const outcome = await probeUntilHealthy(answers(false, false, true), { deadlineMs: 60_000, signal: new AbortController().signal, ...clock });
    expect(outcome).toEqual({ healthy: true, detail: 'probe 3' });
    expect(clock.waits).toEqual([FIRST_PROBE_GAP_MS, FIRST_PROBE_GAP_MS * 2]);
  });

  it('caps the gap and never waits past the deadline, then reports how many probes it made', async () => {
    const clock = fakeClock();
    const outcome = await probeUntilHealthy(answers(false), { deadlineMs: 30_000, signal: new AbortController().signal, ...clock });
    expect(outcome.healthy).toBe(false);
    expect(Math.max(...clock.waits)).toBeLessThanOrEqual(MAX_PROBE_GAP_MS);
    expect(clock.now()).toBe(30_000);
    expect(outcome.detail).toBe(`probe ${clock.waits.length + 1} (still unhealthy after ${clock.waits.length + 1} probes)`);
  });

  it('makes exactly one probe when the window is already over', async () => {
    const clock = fakeClock();
    const outcome = await probeUntilHealthy(answers(false), { deadlineMs: 0, signal: new AbortController().signal, ...clock });
    expect(outcome.detail).toBe('probe 1 (still unhealthy after 1 probes)');
    expect(clock.waits).toEqual([]);
  });

  it('keeps probing through transient probe errors, but not through a permanent one', async () => {
    const clock = fakeClock();
    let calls = 0;
    const flaky = async (): Promise<VerifyOutcome> => {
      calls++;
      if (calls === 1) throw new TransientDeployError('connection refused');
      return { healthy: true };
    };
    expect(await probeUntilHealthy(flaky, { deadlineMs: 60_000, signal: new AbortController().signal, ...clock })).toEqual({ healthy: true });
    const broken = async (): Promise<VerifyOutcome> => {
      throw new PermanentDeployError('no such service');
    };
    await expect(probeUntilHealthy(broken, { deadlineMs: 60_000, signal: new AbortController().signal, ...clock })).rejects.toThrow('no such service');
  });

  it('reports the last transient probe error when the window closes', async () => {
    const clock = fakeClock();
    const refused = async (): Promise<VerifyOutcome> => {
      throw new TransientDeployError('connection refused');
    };
    const outcome = await probeUntilHealthy(refused, { deadlineMs: 2_000, signal: new AbortController().signal, ...clock });
    expect(outcome).toEqual({ healthy: false, detail: 'probe failed: connection refused (still unhealthy after 3 probes)' });
  });

  it('stops waiting when cancelled', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(
      probeUntilHealthy(answers(false), { deadlineMs: Date.now() + 60_000, signal: controller.signal }),
    ).rejects.toThrow('cancelled');
  });
});
