/**
 * The fuzzer's time limit is on a case's own work (CPU time), not on the wall clock of a machine
 * shared with other suites: a case that computes past the limit is a violation, one that only waits
 * as long is not (a true hang is bounded by MAX_CASE_WALL_MS and the runner's watchdog).
 */
import fc from 'fast-check';
import { runSurface, type Surface } from '../../fuzz/lib/cases';

const LIMIT_MS = 50;

const surface = (check: () => Promise<void> | void): Surface<number> => ({
  name: 'limits',
  arbitrary: fc.integer(),
  check: async () => {
    await check();
    return { outcome: 'accepted' };
  },
  describe: String,
  maxCaseMs: LIMIT_MS,
});

function busyFor(ms: number): void {
  const until = process.cpuUsage();
  while ((process.cpuUsage(until).user + process.cpuUsage(until).system) / 1000 < ms) {
    // computing, as a slow parser would
  }
}

describe('the fuzzer case limit', () => {
  it('reports a case that computes past the limit, with its CPU time', async () => {
    const report = await runSurface(surface(() => busyFor(LIMIT_MS * 2)), { numRuns: 1, seed: 1 });
    expect(report.violations).toEqual([expect.objectContaining({ caseIndex: 0, message: expect.stringMatching(/^took \d+ ms of CPU \(limit 50 ms\)$/) })]);
  });

  it('does not report a case that only waits as long (another process had the CPU)', async () => {
    const report = await runSurface(surface(() => new Promise<void>((resolve) => setTimeout(resolve, LIMIT_MS * 3))), { numRuns: 1, seed: 1 });
    expect(report.violations).toEqual([]);
    expect(report.accepted).toBe(1);
    expect(report.slowestMs).toBeGreaterThanOrEqual(LIMIT_MS * 2);
  });
});
