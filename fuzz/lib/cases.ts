/**
 * The fuzzer's case loop, shared by every surface, by `npm run fuzz` and by the jest tests: case i
 * of a run is generated from (seed, i) alone, so any case can be regenerated and replayed on its
 * own (the watchdog in fuzz/run.ts does that to show a case that hung). Every case ends accepted,
 * refused or as a violation; a violation never stops the run, so the table counts them all.
 */
import fc from 'fast-check';

/**
 * A case whose own work takes longer than this is a violation (the "no hang over 2 s").
 * Measured in CPU time, so that a busy machine (npm test runs a dev server and other suites beside
 * this: a 96 KB manifest took 0.6 s alone and 2.7 s of wall time there) does not make a slow case.
 */
export const MAX_CASE_MS = 2_000;
/** A case still not done after this much wall time is waiting on something: a hang, whatever its CPU. */
export const MAX_CASE_WALL_MS = 15_000;

export type CaseOutcome = { outcome: 'accepted' | 'refused' } | { outcome: 'violation'; message: string };

export interface Violation {
  caseIndex: number;
  message: string;
  /** The input, shortened for a report. */
  input: string;
}

export interface SurfaceReport {
  surface: string;
  cases: number;
  accepted: number;
  refused: number;
  violations: Violation[];
  slowestMs: number;
  slowestCase: number;
  seed: number;
}

export interface RunOptions {
  numRuns: number;
  seed: number;
  /** The first case (default 0): the runner resumes after a case that hung. */
  from?: number;
  /** Called before each case with the counts so far (the worker thread's heartbeat for the watchdog). */
  onCase?: (caseIndex: number, soFar: SurfaceReport) => void;
}

export interface Surface<T> {
  name: string;
  arbitrary: fc.Arbitrary<T>;
  check(input: T): CaseOutcome | Promise<CaseOutcome>;
  describe(input: T): string;
  /** CPU time limit per case (default MAX_CASE_MS); the wall-time bound is MAX_CASE_WALL_MS. */
  maxCaseMs?: number;
}

/** Case `index` of a run seeded `seed`. */
export function generateCase<T>(arbitrary: fc.Arbitrary<T>, seed: number, index: number): T {
  return fc.sample(arbitrary, { numRuns: 1, seed: (seed + index * 7919) | 0 })[0];
}

export function shorten(text: string, max = 300): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}

export async function runSurface<T>(surface: Surface<T>, opts: RunOptions): Promise<SurfaceReport> {
  const report: SurfaceReport = {
    surface: surface.name,
    cases: 0,
    accepted: 0,
    refused: 0,
    violations: [],
    slowestMs: 0,
    slowestCase: -1,
    seed: opts.seed,
  };
  const limit = surface.maxCaseMs ?? MAX_CASE_MS;
  for (let i = opts.from ?? 0; i < opts.numRuns; i++) {
    opts.onCase?.(i, report);
    let input: T;
    try {
      input = generateCase(surface.arbitrary, opts.seed, i);
    } catch (error) {
      // The fuzzer's own bug, reported as one so the run goes on and says so.
      report.cases++;
      report.violations.push({ caseIndex: i, message: `the generator failed: ${(error as Error)?.stack ?? String(error)}`, input: '(none)' });
      continue;
    }
    const started = performance.now();
    const cpuAtStart = process.cpuUsage();
    let result: CaseOutcome;
    try {
      result = await surface.check(input);
    } catch (error) {
      result = { outcome: 'violation', message: `threw ${(error as Error)?.stack ?? String(error)}` };
    }
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuAtStart);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    report.cases++;
    if (ms > report.slowestMs) {
      report.slowestMs = ms;
      report.slowestCase = i;
    }
    if (result.outcome === 'violation') {
      report.violations.push({ caseIndex: i, message: shorten(result.message, 1000), input: shorten(surface.describe(input)) });
    } else if (cpuMs > limit) {
      report.violations.push({ caseIndex: i, message: `took ${Math.round(cpuMs)} ms of CPU (limit ${limit} ms)`, input: shorten(surface.describe(input)) });
    } else if (ms > MAX_CASE_WALL_MS) {
      report.violations.push({ caseIndex: i, message: `took ${Math.round(ms)} ms (a hang: limit ${MAX_CASE_WALL_MS} ms of wall time)`, input: shorten(surface.describe(input)) });
    } else {
      report[result.outcome]++;
    }
  }
  return report;
}
