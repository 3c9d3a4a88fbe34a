/**
 * The benchmark's seeded graph generators: reproducible from the seed, valid manifests that plan,
 * and the shapes they promise (layers that are the plan's waves, a chain, a fan).
 */
import fc from 'fast-check';
import { manifestSchema, NAME_PATTERN, parseDuration, type ServiceInput } from '../../src/manifest/schema';
import { validateManifestOrThrow } from '../../src/manifest/validate';
import { findCycles, planOrThrow, type Plan } from '../../src/plan';
import { chain, durationsOf, layeredDag, layeredName, manifestOf, wideFan, type DurationSpec } from '../../bench/lib/generate';
import { mulberry32 } from '../../bench/lib/rng';

function validPlan(services: ServiceInput[]): Plan {
  const manifest = validateManifestOrThrow(manifestOf('gen', services, { max_parallel: 4 }));
  expect(manifest.deployment.services.every((s) => s.executor === 'simulated')).toBe(true);
  return planOrThrow(manifest);
}

const msOf = (services: ServiceInput[]) => services.map((s) => parseDuration(s.simulate!.duration!));

describe('mulberry32', () => {
  it('is a fixed sequence per seed, uniform-ish in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / xs.length - 0.5)).toBeLessThan(0.05);
    expect(mulberry32(43).next()).not.toBe(mulberry32(42).next());
    // Pinned: a change to the generator would silently change every seeded benchmark.
    expect(mulberry32(1).next()).toBe(0.6270739405881613);
  });

  it('int stays within its inclusive bounds and reaches both', () => {
    const rng = mulberry32(7);
    const seen = new Set(Array.from({ length: 500 }, () => rng.int(3, 6)));
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });
});

describe('durationsOf', () => {
  it('constant: every service the same', () => {
    expect(durationsOf({ kind: 'constant', ms: 25 }, 4)).toEqual([25, 25, 25, 25]);
    expect(() => durationsOf({ kind: 'constant', ms: 0 }, 4)).toThrow(RangeError);
  });

  it('skewed: integers ≥ 1 whose mean is the requested one, heavy-tailed, same seed same values', () => {
    const spec: DurationSpec = { kind: 'skewed', meanMs: 200, seed: 3 };
    const ms = durationsOf(spec, 1000);
    expect(durationsOf(spec, 1000)).toEqual(ms);
    expect(durationsOf({ ...spec, seed: 4 }, 1000)).not.toEqual(ms);
    expect(ms.every((x) => Number.isInteger(x) && x >= 1)).toBe(true);
    expect(ms.reduce((a, b) => a + b, 0)).toBe(200 * 1000);
    const sorted = [...ms].sort((a, b) => a - b);
    const median = sorted[500];
    // Lognormal with sigma 1: the median is mean·e^(-1/2) ≈ 0.61·mean, the largest of 1000 ≈ 20× the median.
    expect(median).toBeLessThan(0.8 * 200);
    expect(sorted[999] / median).toBeGreaterThan(8);
  });

  it('skewed with a small mean: every duration stays ≥ 1 ms and the mean stays close', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 5 }), fc.integer(), (n, meanMs, seed) => {
        const ms = durationsOf({ kind: 'skewed', meanMs, seed }, n);
        expect(ms).toHaveLength(n);
        expect(ms.every((x) => Number.isInteger(x) && x >= 1)).toBe(true);
        const mean = ms.reduce((a, b) => a + b, 0) / n;
        // Exact unless samples were clamped up to 1 ms; clamping only ever adds.
        expect(mean).toBeGreaterThanOrEqual(meanMs - 0.5 / n);
        expect(mean).toBeLessThan(meanMs + 1);
      }),
    );
  });
});

describe('layeredDag', () => {
  const layeredArb = fc.record({
    seed: fc.integer(),
    layers: fc.integer({ min: 1, max: 8 }),
    width: fc.integer({ min: 1, max: 8 }),
    maxDeps: fc.integer({ min: 1, max: 5 }),
    durations: fc.oneof(
      fc.record({ kind: fc.constant('constant' as const), ms: fc.integer({ min: 1, max: 5000 }) }),
      fc.record({ kind: fc.constant('skewed' as const), meanMs: fc.integer({ min: 1, max: 5000 }), seed: fc.integer() }),
    ),
  });

  it('same options, byte-identical services; another seed, another graph', () => {
    const opts = { seed: 11, layers: 6, width: 7, maxDeps: 3, durations: { kind: 'skewed', meanMs: 500, seed: 2 } } as const;
    const a = JSON.stringify(layeredDag(opts));
    expect(JSON.stringify(layeredDag(opts))).toBe(a);
    expect(JSON.stringify(layeredDag({ ...opts, seed: 12 }))).not.toBe(a);
  });

  it('validates and plans; layer k is wave k; 1..maxDeps dependencies, one in the previous layer', () => {
    fc.assert(
      fc.property(layeredArb, (opts) => {
        const services = layeredDag(opts);
        expect(JSON.stringify(layeredDag(opts))).toBe(JSON.stringify(services));
        expect(services).toHaveLength(opts.layers * opts.width);
        const plan = validPlan(services);
        expect(findCycles(plan.dependencies)).toEqual([]);
        expect(plan.waves).toHaveLength(opts.layers);
        const layerOf = (name: string) => Number(/^l(\d+)-s\d+$/.exec(name)![1]);
        for (const s of services) {
          expect(s.name).toMatch(NAME_PATTERN);
          const layer = layerOf(s.name);
          expect(plan.waveOf[s.name]).toBe(layer);
          const deps = s.dependencies!;
          expect(new Set(deps).size).toBe(deps.length);
          if (layer === 0) {
            expect(deps).toEqual([]);
          } else {
            expect(deps.length).toBeGreaterThanOrEqual(1);
            expect(deps.length).toBeLessThanOrEqual(opts.maxDeps);
            expect(deps.every((d) => layerOf(d) < layer)).toBe(true);
            expect(deps.some((d) => layerOf(d) === layer - 1)).toBe(true);
          }
        }
        if (opts.durations.kind === 'constant') expect(new Set(msOf(services))).toEqual(new Set([opts.durations.ms]));
      }),
      { numRuns: 60 },
    );
  });

  it('names like l03-s017, padded to the size', () => {
    const services = layeredDag({ seed: 1, layers: 4, width: 20, maxDeps: 2, durations: { kind: 'constant', ms: 10 } });
    expect(services[0]).toEqual({ name: 'l00-s000', type: 'docker', executor: 'simulated', dependencies: [], simulate: { duration: '10ms' } });
    expect(services.map((s) => s.name)).toContain('l03-s017');
    expect(layeredName(120, 5, { layers: 121, width: 1000 })).toBe('l120-s005');
  });

  it('mostly draws from the previous layer', () => {
    const services = layeredDag({ seed: 5, layers: 10, width: 30, maxDeps: 4, durations: { kind: 'constant', ms: 1 } });
    const layerOf = (name: string) => Number(name.slice(1, 3));
    const edges = services.flatMap((s) => s.dependencies!.map((d) => layerOf(s.name) - layerOf(d)));
    const previous = edges.filter((gap) => gap === 1).length;
    expect(previous / edges.length).toBeGreaterThan(0.75);
    expect(previous).toBeLessThan(edges.length);
  });
});

describe('chain and wideFan', () => {
  it('chain: one wave per service, the critical path is everything', () => {
    const services = chain({ n: 12, durations: { kind: 'skewed', meanMs: 100, seed: 1 } });
    const plan = validPlan(services);
    expect(plan.waves).toHaveLength(12);
    expect(plan.criticalPathMs).toBe(plan.serialSumMs);
    expect(plan.serialSumMs).toBe(1200);
    expect(services[0].name).toBe('s000');
    expect(services[11].dependencies).toEqual(['s010']);
  });

  it('wideFan: root, n-2 leaves, a sink waiting on every leaf', () => {
    const services = wideFan({ n: 10, durations: { kind: 'constant', ms: 5 } });
    const plan = validPlan(services);
    expect(plan.waves.map((w) => w.length)).toEqual([1, 8, 1]);
    expect(plan.dependencies.sink).toHaveLength(8);
    expect(plan.criticalPathMs).toBe(15);
    expect(() => wideFan({ n: 2, durations: { kind: 'constant', ms: 5 } })).toThrow(RangeError);
  });

  it('2,000 services validate as a deployment (under the manifest size limit) and plan', () => {
    const services = chain({ n: 2000, durations: { kind: 'constant', ms: 1 } });
    expect(planOrThrow(validateManifestOrThrow(manifestOf('big', services))).waves).toHaveLength(2000);
  });
});

describe('manifestOf', () => {
  it('is the raw document for the bench environment', () => {
    const services = chain({ n: 2, durations: { kind: 'constant', ms: 1 } });
    expect(manifestOf('x', services, { execution: 'waves' })).toEqual({
      deployment: { name: 'x', environment: 'bench', strategy: { execution: 'waves' }, services },
    });
  });
});
