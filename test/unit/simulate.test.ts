/**
 * The planning simulation: hand-computed schedules, the bounds every schedule obeys, and the
 * narrowed view it hands the scheduler checked against a plain simulation that asks the scheduler
 * about the full plan at every instant.
 */
import fc from 'fast-check';
import { manifestSchema, type ServiceInput, type StrategySpec } from '../../src/manifest/schema';
import { validateManifestOrThrow } from '../../src/manifest/validate';
import { lowerBoundMs, nextServicesToStart, planOrThrow, simulateSchedule, type Plan, type SimulationResult } from '../../src/plan';
import { layeredDag, manifestOf, wideFan, chain } from '../../bench/lib/generate';

type Strategy = Pick<StrategySpec, 'max_parallel' | 'execution'>;

function planOf(services: ServiceInput[]): Plan {
  return planOrThrow(validateManifestOrThrow(manifestOf('sim', services)));
}

/** [name, duration ms, ...dependencies] */
function svc(name: string, ms: number, ...dependencies: string[]): ServiceInput {
  return { name, type: 'docker', executor: 'simulated', dependencies, simulate: { duration: `${ms}ms` } };
}

const eager = (max_parallel: number): Strategy => ({ max_parallel, execution: 'eager' });
const waves = (max_parallel: number): Strategy => ({ max_parallel, execution: 'waves' });

/**
 * The simulation written the obvious way, as a reference: the scheduler asked about the full plan
 * (longest-path-first), or eligibility and FIFO order written out from the rules (fifo); the next
 * completion found by a scan.
 */
function reference(plan: Plan, strategy: Strategy, policy: 'longest-path-first' | 'fifo'): SimulationResult {
  const succeeded = new Set<string>();
  const started = new Set<string>();
  const startMs: Record<string, number> = {};
  const endMs: Record<string, number> = {};
  const readyAt = new Map<string, number>();
  let running: string[] = [];
  let t = 0;
  for (;;) {
    let toStart: string[];
    if (policy === 'longest-path-first') {
      toStart = nextServicesToStart(plan, { succeeded, started, running: running.length }, strategy);
    } else {
      const openWave = plan.waves.findIndex((wave) => wave.some((n) => !succeeded.has(n)));
      for (const name of plan.order) {
        const eligible =
          !started.has(name) &&
          plan.dependencies[name].every((d) => succeeded.has(d)) &&
          (strategy.execution === 'eager' || plan.waveOf[name] <= openWave);
        if (eligible && !readyAt.has(name)) readyAt.set(name, t);
      }
      const waiting = plan.order.filter((n) => readyAt.has(n) && !started.has(n));
      waiting.sort((a, b) => readyAt.get(a)! - readyAt.get(b)! || plan.order.indexOf(a) - plan.order.indexOf(b));
      toStart = waiting.slice(0, Math.max(0, strategy.max_parallel - running.length));
    }
    for (const name of toStart) {
      started.add(name);
      startMs[name] = t;
      endMs[name] = t + plan.durationMs[name];
      running.push(name);
    }
    if (running.length === 0) break;
    t = Math.min(...running.map((n) => endMs[n]));
    for (const name of running.filter((n) => endMs[n] === t)) succeeded.add(name);
    running = running.filter((n) => endMs[n] !== t);
  }
  return { makespanMs: Math.max(0, ...Object.values(endMs)), startMs, endMs };
}

describe('simulateSchedule, hand-computed', () => {
  // a 100 → c 50; b 200 alone. remainingMs: b 200, a 150, c 50.
  const plan = planOf([svc('a', 100), svc('b', 200), svc('c', 50, 'a')]);

  it('one slot: one after another, longest remaining path first', () => {
    const r = simulateSchedule(plan, eager(1));
    expect(r.startMs).toEqual({ b: 0, a: 200, c: 300 });
    expect(r.endMs).toEqual({ b: 200, a: 300, c: 350 });
    expect(r.makespanMs).toBe(350);
  });

  it('two slots: c takes the slot a frees, b is the critical path', () => {
    const r = simulateSchedule(plan, eager(2));
    expect(r.startMs).toEqual({ a: 0, b: 0, c: 100 });
    expect(r.makespanMs).toBe(200);
    expect(lowerBoundMs(plan, 2)).toBe(200);
  });

  it('longest-path-first beats fifo when a long chain sits behind a short service', () => {
    // Four 10 ms services in wave 0; d has a 100 ms service behind it. Two slots.
    const p = planOf([svc('a', 10), svc('b', 10), svc('c', 10), svc('d', 10), svc('e', 100, 'd')]);
    const lpf = simulateSchedule(p, eager(2));
    const fifo = simulateSchedule(p, eager(2), { policy: 'fifo' });
    // LPF: d and a at 0, e and b at 10, c at 20; e ends at 110 (= the critical path).
    expect(lpf.startMs).toEqual({ d: 0, a: 0, e: 10, b: 10, c: 20 });
    expect(lpf.makespanMs).toBe(110);
    // FIFO: wave 0 in plan order (a b, then c d), e only at 20.
    expect(fifo.startMs).toEqual({ a: 0, b: 0, c: 10, d: 10, e: 20 });
    expect(fifo.makespanMs).toBe(120);
  });

  it('fifo: the service that became eligible first starts first, whatever plan.order says', () => {
    // Plan order a q b y (b needs q, y needs a). One slot.
    const p = planOf([svc('a', 1), svc('q', 10), svc('b', 1, 'q'), svc('y', 1, 'a')]);
    // fifo: a 0-1 (plan order), y eligible at 1, q 1-11, b eligible at 11: y before b.
    expect(simulateSchedule(p, eager(1), { policy: 'fifo' }).startMs).toEqual({ a: 0, q: 1, y: 11, b: 12 });
    // longest-path-first: q (11 ms remaining) first; at 11 b and y tie on 1 ms, b by name.
    expect(simulateSchedule(p, eager(1)).startMs).toEqual({ q: 0, a: 10, b: 11, y: 12 });
  });

  it('waves vs eager on a skewed DAG: the wave barrier holds short chains behind the one long service', () => {
    // The bench's skewed manifest: db (1500) is alone on the critical path net → db → worker.
    const p = planOf([
      svc('net', 300),
      svc('db', 1500, 'net'),
      svc('cluster', 300, 'net'),
      svc('api', 300, 'cluster'),
      svc('web', 300, 'api'),
      svc('worker', 300, 'db'),
      svc('dash', 300, 'cluster'),
    ]);
    const e = simulateSchedule(p, eager(10));
    const w = simulateSchedule(p, waves(10));
    expect(e.makespanMs).toBe(2100);
    expect(p.criticalPathMs).toBe(2100);
    expect(e.startMs).toMatchObject({ api: 600, web: 900, worker: 1800 });
    // waves: wave 2 (api, dash, worker) waits for db at 1800; web (wave 3) until 2100.
    expect(w.startMs).toMatchObject({ api: 1800, dash: 1800, worker: 1800, web: 2100 });
    expect(w.makespanMs).toBe(2400);
  });

  it('services ending at the same instant complete together: both slots refill at once', () => {
    const p = planOf([svc('a', 10), svc('b', 10), svc('c', 10, 'a', 'b'), svc('d', 10, 'a'), svc('e', 10)]);
    const r = simulateSchedule(p, eager(2));
    // a, b at 0 (remaining 20 each, e only 10); at 10 c and d (remaining 10, before e by name).
    expect(r.startMs).toEqual({ a: 0, b: 0, c: 10, d: 10, e: 20 });
    expect(r.makespanMs).toBe(30);
  });

  it('zero-duration services free their slot at the instant they start', () => {
    const p = planOf([svc('a', 0), svc('b', 0, 'a'), svc('c', 5, 'b')]);
    const r = simulateSchedule(p, eager(1));
    expect(r.startMs).toEqual({ a: 0, b: 0, c: 0 });
    expect(r.makespanMs).toBe(5);
  });

  it('durationMs overrides the plan (priorities stay the plan\'s)', () => {
    const r = simulateSchedule(plan, eager(1), { durationMs: { b: 10 } });
    expect(r.startMs).toEqual({ b: 0, a: 10, c: 110 });
    expect(r.makespanMs).toBe(160);
    expect(() => simulateSchedule(plan, eager(1), { durationMs: { b: -1 } })).toThrow(RangeError);
    expect(() => simulateSchedule(plan, eager(0))).toThrow(RangeError);
  });

  it('lowerBoundMs: the critical path or the work spread over every slot, whichever is longer', () => {
    expect(lowerBoundMs({ criticalPathMs: 100, serialSumMs: 1000 }, 4)).toBe(250);
    expect(lowerBoundMs({ criticalPathMs: 300, serialSumMs: 1000 }, 4)).toBe(300);
    expect(() => lowerBoundMs({ criticalPathMs: 1, serialSumMs: 1 }, 0)).toThrow(RangeError);
  });
});

/**
 * A random DAG: service i depends on some of services 0..i-1. Short durations, so that services
 * often end at the same instant (the case where completing them one by one would differ).
 */
const dagArb = (minMs: number, maxMs: number) =>
  fc
    .array(fc.tuple(fc.integer({ min: minMs, max: maxMs }), fc.uniqueArray(fc.nat({ max: 1000 }), { maxLength: 3 })), {
      minLength: 1,
      maxLength: 14,
    })
    .map((rows) =>
      planOf(
        rows.map(([ms, picks], i) => {
          const deps = i === 0 ? [] : [...new Set(picks.map((p) => `s${String(p % i).padStart(2, '0')}`))];
          return svc(`s${String(i).padStart(2, '0')}`, ms, ...deps);
        }),
      ),
    );
/** Durations ≥ 1 ms: a service holds its slot over [start, end). */
const positiveDagArb = dagArb(1, 6);
const strategyArb = fc.record({ max_parallel: fc.integer({ min: 1, max: 6 }), execution: fc.constantFrom('eager' as const, 'waves' as const) });
const policyArb = fc.constantFrom('longest-path-first' as const, 'fifo' as const);

describe('simulateSchedule, properties', () => {
  it('matches the plain simulation on the full plan, for both policies', () => {
    fc.assert(
      fc.property(dagArb(0, 4), strategyArb, policyArb, (plan, strategy, policy) => {
        expect(simulateSchedule(plan, strategy, { policy })).toEqual(reference(plan, strategy, policy));
      }),
      { numRuns: 300 },
    );
  });

  it('no schedule beats the lower bound; one slot is the serial sum', () => {
    fc.assert(
      fc.property(dagArb(0, 6), strategyArb, policyArb, (plan, strategy, policy) => {
        const { makespanMs } = simulateSchedule(plan, strategy, { policy });
        expect(makespanMs).toBeGreaterThanOrEqual(lowerBoundMs(plan, strategy.max_parallel));
        if (strategy.max_parallel === 1) expect(makespanMs).toBe(plan.serialSumMs);
      }),
    );
  });

  it('eager with a slot for everyone takes exactly the critical path; waves never less', () => {
    fc.assert(
      fc.property(dagArb(0, 6), fc.integer({ min: 0, max: 3 }), policyArb, (plan, extra, policy) => {
        const cap = plan.order.length + extra;
        const e = simulateSchedule(plan, eager(cap), { policy });
        const w = simulateSchedule(plan, waves(cap), { policy });
        expect(e.makespanMs).toBe(plan.criticalPathMs);
        expect(w.makespanMs).toBeGreaterThanOrEqual(e.makespanMs);
      }),
    );
  });

  it('every service runs once, after all its dependencies ended, never more than max_parallel at once', () => {
    fc.assert(
      fc.property(positiveDagArb, strategyArb, policyArb, (plan, strategy, policy) => {
        const { startMs, endMs, makespanMs } = simulateSchedule(plan, strategy, { policy });
        expect(Object.keys(startMs).sort()).toEqual([...plan.order].sort());
        for (const name of plan.order) {
          expect(endMs[name] - startMs[name]).toBe(plan.durationMs[name]);
          for (const dep of plan.dependencies[name]) expect(startMs[name]).toBeGreaterThanOrEqual(endMs[dep]);
          if (strategy.execution === 'waves') {
            // Nothing of a later wave starts before every service of the earlier waves ended.
            for (const other of plan.order) {
              if (plan.waveOf[other] < plan.waveOf[name]) expect(startMs[name]).toBeGreaterThanOrEqual(endMs[other]);
            }
          }
        }
        // Durations are ≥ 1, so "running at t" is start ≤ t < end; the count only rises at a start.
        for (const t of new Set(Object.values(startMs))) {
          const busy = plan.order.filter((n) => startMs[n] <= t && t < endMs[n]).length;
          expect(busy).toBeLessThanOrEqual(strategy.max_parallel);
        }
        expect(makespanMs).toBe(Math.max(...Object.values(endMs)));
      }),
    );
  });
});

describe('simulateSchedule at scale', () => {
  /** CPU time of the fastest of three runs: a busy machine (the jest workers, a build) slows the wall clock, not this. */
  function fastestMs(run: () => void): number {
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const before = process.cpuUsage();
      run();
      const { user, system } = process.cpuUsage(before);
      best = Math.min(best, (user + system) / 1000);
    }
    return best;
  }

  const skewed = { kind: 'skewed' as const, meanMs: 1000, seed: 7 };
  const cases: Array<[string, ServiceInput[]]> = [
    ['layered 40×50', layeredDag({ seed: 1, layers: 40, width: 50, maxDeps: 3, durations: skewed })],
    ['wide fan', wideFan({ n: 2000, durations: skewed })],
    ['chain', chain({ n: 2000, durations: skewed })],
  ];

  it.each(cases)('2,000 services (%s) in under 200 ms for every policy, execution and cap', (_, services) => {
    // Schema only: planning is the subject here, not the deployment-time checks validateManifest adds.
    const plan = planOrThrow(manifestSchema.parse(manifestOf('sim', services)));
    expect(plan.order).toHaveLength(2000);
    for (const policy of ['longest-path-first', 'fifo'] as const) {
      for (const strategy of [eager(1), eager(10), waves(10), eager(2000), waves(2000)]) {
        let makespan = 0;
        const ms = fastestMs(() => (makespan = simulateSchedule(plan, strategy, { policy }).makespanMs));
        expect(makespan).toBeGreaterThanOrEqual(lowerBoundMs(plan, strategy.max_parallel));
        expect(ms).toBeLessThan(200);
      }
    }
  });
});
