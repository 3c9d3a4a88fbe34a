/** Durations learned from deployment records, and how `plan` shows them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIssues, parseManifestText, validateManifestOrThrow } from '../../src/manifest';
import { planOrThrow, planToJson, renderPlan } from '../../src/plan';
import { LEARNED_RUNS, learnedDurations, learnedDurationStats, learnedHistory, type TimedRun } from '../../src/plan/learned-durations';

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

let seq = 0;
/** A run starting `startMs` after T0; each service: [state, duration ms] (or no times). */
function run(startMs: number, services: Record<string, [string, number?]>): TimedRun {
  seq += 1;
  return {
    deploymentId: `dep-${String(seq).padStart(4, '0')}`,
    startedAt: at(startMs),
    services: Object.fromEntries(
      Object.entries(services).map(([name, [state, ms]]) => [
        name,
        ms === undefined ? { state } : { state, startedAt: at(startMs + 100), endedAt: at(startMs + 100 + ms) },
      ]),
    ),
  };
}

describe('learnedDurations', () => {
  it('is empty without history', () => {
    expect(learnedDurations([])).toEqual({});
  });

  it('takes the median of successful runs (middle value, mean of the two middle ones)', () => {
    const odd = [run(0, { db: ['SUCCEEDED', 1000] }), run(1, { db: ['SUCCEEDED', 9000] }), run(2, { db: ['SUCCEEDED', 2000] })];
    expect(learnedDurations(odd)).toEqual({ db: 2000 });
    const even = [run(0, { db: ['SUCCEEDED', 1000] }), run(1, { db: ['SUCCEEDED', 2001] })];
    expect(learnedDurations(even)).toEqual({ db: 1501 }); // 1500.5 rounded
  });

  it('counts only SUCCEEDED runs with both times, per service, whatever the deployment ended as', () => {
    const records = [
      run(0, { db: ['SUCCEEDED', 3000], api: ['FAILED', 50], web: ['SKIPPED'] }),
      run(10, { db: ['UNCHANGED', 5], api: ['ROLLED_BACK', 40] }),
      run(20, { db: ['SUCCEEDED'] }), // an older record without per-service times
      run(30, { api: ['SUCCEEDED', 700] }),
    ];
    expect(learnedDurationStats(records)).toEqual({ api: { ms: 700, runs: 1 }, db: { ms: 3000, runs: 1 } });
  });

  it('uses only the newest runs of each service, whatever order the records come in', () => {
    // Old runs were slow (10 s); the last LEARNED_RUNS were fast (1 s): the old ones no longer count.
    const old = Array.from({ length: 4 }, (_, i) => run(i * 1000, { db: ['SUCCEEDED', 10_000] }));
    const recent = Array.from({ length: LEARNED_RUNS }, (_, i) => run(100_000 + i * 1000, { db: ['SUCCEEDED', 1000 + i] }));
    const shuffled = [recent[2], old[0], recent[0], old[3], recent[4], old[1], recent[1], old[2], recent[3]];
    expect(learnedDurationStats(shuffled)).toEqual({ db: { ms: 1002, runs: LEARNED_RUNS } });
    // A service that ran only in the older deployments still learns from those.
    expect(learnedDurations([...shuffled, run(0, { cache: ['SUCCEEDED', 4000] })])).toMatchObject({ cache: 4000 });
  });

  it('ignores times that make no sense (end before start, unparsable)', () => {
    const bad: TimedRun = {
      deploymentId: 'dep-x',
      startedAt: at(0),
      services: {
        a: { state: 'SUCCEEDED', startedAt: at(5000), endedAt: at(1000) },
        b: { state: 'SUCCEEDED', startedAt: 'yesterday', endedAt: at(1000) },
      },
    };
    expect(learnedDurations([bad])).toEqual({});
  });

  it('learnedHistory counts the records it read', () => {
    expect(learnedHistory([run(0, { db: ['FAILED', 1] }), run(1, { db: ['SUCCEEDED', 20] })])).toEqual({
      deployments: 2,
      services: { db: { ms: 20, runs: 1 } },
    });
  });
});

describe('plan with learned durations', () => {
  /** base → (slow | quick-a → quick-b) → top, simulate durations given; learned ones turn the critical path around. */
  const manifest = validateManifestOrThrow({
    deployment: {
      name: 'shop',
      environment: 'dev',
      services: [
        { name: 'base', ms: 100 },
        { name: 'quick-a', dependencies: ['base'], ms: 10 },
        { name: 'quick-b', dependencies: ['quick-a'], ms: 10 },
        { name: 'slow', dependencies: ['base'], ms: 500 },
        { name: 'top', dependencies: ['quick-b', 'slow'], ms: 50 },
      ].map(({ ms, ...s }) => ({ type: 'shell', executor: 'simulated', ...s, simulate: { duration: `${ms}ms` } })),
    },
  });
  const plan = planOrThrow(manifest);
  const history = {
    deployments: 3,
    services: {
      base: { ms: 2000, runs: 3 },
      'quick-a': { ms: 40_000, runs: 3 },
      'quick-b': { ms: 30_000, runs: 2 },
      slow: { ms: 1000, runs: 3 },
      // no history for top: it keeps its 50ms
    },
  };

  it('keeps the output unchanged without history', () => {
    expect(renderPlan(manifest, plan, undefined)).toBe(renderPlan(manifest, plan));
    expect(renderPlan(manifest, plan, { deployments: 2, services: {} })).toBe(renderPlan(manifest, plan));
    expect(renderPlan(manifest, plan, { deployments: 1, services: { gone: { ms: 5, runs: 1 } } })).toBe(renderPlan(manifest, plan));
    expect(planToJson(plan, { deployments: 0, services: {} })).toEqual(planToJson(plan));
    expect(planToJson(plan)).not.toHaveProperty('learned');
  });

  it('shows each service\'s learned duration and the critical path and ETA they give', () => {
    const lines = renderPlan(manifest, plan, history).split('\n');
    expect(lines).toContain('  quick-a  shell  simulated  10ms  learned 40s  after base');
    expect(lines).toContain('  top      shell  simulated  50ms  no history   after quick-b, slow');
    // The planned critical path stays, then the learned one.
    expect(lines).toContain('Critical path: base → slow → top (650ms)');
    expect(lines).toContain('Learned from 3 past deployments of shop/dev (each service: median of its last successful runs)');
    expect(lines).toContain('Critical path: base → quick-a → quick-b → top (ETA 1m 12s)');
    expect(lines).toContain('No history yet for top: weighed as planned');
  });

  it('adds the learned durations and critical path to --json', () => {
    expect(planToJson(plan, history).learned).toEqual({
      deployments: 3,
      duration_ms: { base: 2000, 'quick-a': 40_000, slow: 1000, 'quick-b': 30_000 },
      runs: { base: 3, 'quick-a': 3, slow: 3, 'quick-b': 2 },
      critical_path: ['base', 'quick-a', 'quick-b', 'top'],
      critical_path_ms: 72_050,
    });
  });

  it('works for manifests without simulate durations (the seed)', () => {
    const parsed = parseManifestText(readFileSync(join(__dirname, '..', 'fixtures', 'seed-ecommerce.yaml'), 'utf8'), 'seed.yaml');
    if (!parsed.ok) throw new Error(formatIssues(parsed.issues));
    const seedPlan = planOrThrow(parsed.manifest);
    const text = renderPlan(parsed.manifest, seedPlan, { deployments: 1, services: { 'rds-database': { ms: 600_000, runs: 1 } } });
    expect(text).toContain('Critical path: vpc → rds-database → backend-api → frontend-app (ETA 10m)');
    expect(text).toContain('No history yet for vpc, k8s-cluster, backend-api, monitoring, frontend-app: counted as 1ms each');
    // What the manifest says comes first; what history says, last.
    expect(text.indexOf('Health checks:')).toBeGreaterThan(0);
    expect(text.indexOf('Health checks:')).toBeLessThan(text.indexOf('Learned from 1 past deployment of'));
  });
});
