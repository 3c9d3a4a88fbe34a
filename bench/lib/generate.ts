/**
 * Seeded service graphs for planning and scheduling benchmarks: a random layered DAG, a chain and
 * a wide fan, each service a simulated no-op (`simulate.duration` only, so the simulated executor
 * just waits). Pure and deterministic: the same arguments give byte-identical output, so a bench
 * figure can be reproduced from its seed.
 */
import type { ManifestInput, ServiceInput } from '../../src/manifest/schema';
import { mulberry32 } from './rng';

/** Every service the same length, or heavy-tailed (lognormal, sigma 1) around a mean. */
export type DurationSpec = { kind: 'constant'; ms: number } | { kind: 'skewed'; meanMs: number; seed: number };

export interface LayeredDagOptions {
  seed: number;
  /** Number of layers (≥ 1); layer k ends up exactly as wave k of the plan. */
  layers: number;
  /** Services per layer (≥ 1). */
  width: number;
  /** Each service beyond layer 0 depends on 1..maxDeps services of earlier layers. */
  maxDeps: number;
  durations: DurationSpec;
}

const LOGNORMAL_SIGMA = 1;
/** Chance that a dependency beyond the first comes from the previous layer rather than any earlier one. */
const PREVIOUS_LAYER_BIAS = 0.75;

function positiveInt(value: number, what: string, min = 1): void {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${what} must be an integer ≥ ${min}, got ${value}`);
}

/**
 * n integer durations (ms, each ≥ 1). Skewed: lognormal samples rescaled so that they sum to
 * round(meanMs·n) (largest remainders get the rounding), i.e. the sample mean is the requested mean
 * to within 1/n ms; only when many samples are clamped up to 1 ms can it come out a little higher.
 */
export function durationsOf(spec: DurationSpec, n: number): number[] {
  positiveInt(n, 'n', 0);
  if (spec.kind === 'constant') {
    positiveInt(spec.ms, 'durations.ms');
    return Array.from({ length: n }, () => spec.ms);
  }
  if (!(Number.isFinite(spec.meanMs) && spec.meanMs >= 1)) throw new RangeError(`durations.meanMs must be ≥ 1, got ${spec.meanMs}`);
  if (n === 0) return [];
  const rng = mulberry32(spec.seed);
  const samples = Array.from({ length: n }, () => Math.exp(LOGNORMAL_SIGMA * rng.normal()));
  const sampleSum = samples.reduce((a, b) => a + b, 0);
  const total = Math.round(spec.meanMs * n);
  const exact = samples.map((x) => (x / sampleSum) * total);
  const ms = exact.map((x) => Math.max(1, Math.floor(x)));
  let missing = total - ms.reduce((a, b) => a + b, 0);
  if (missing > 0) {
    const byRemainder = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).filter(({ i }) => ms[i] === Math.floor(exact[i]));
    byRemainder.sort((a, b) => b.r - a.r || a.i - b.i);
    for (const { i } of byRemainder) {
      if (missing === 0) break;
      ms[i]++;
      missing--;
    }
  }
  return ms;
}

function service(name: string, dependencies: string[], ms: number): ServiceInput {
  return { name, type: 'docker', executor: 'simulated', dependencies, simulate: { duration: `${ms}ms` } };
}

const pad = (i: number, width: number) => String(i).padStart(width, '0');
const digits = (maxIndex: number, min: number) => Math.max(min, String(maxIndex).length);

/** Name of the service at (layer, slot) in a layeredDag of that size: `l03-s017`. */
export function layeredName(layer: number, slot: number, size: { layers: number; width: number }): string {
  return `l${pad(layer, digits(size.layers - 1, 2))}-s${pad(slot, digits(size.width - 1, 3))}`;
}

/**
 * layers × width services. Every service in layer k > 0 depends on 1..maxDeps distinct services of
 * earlier layers: the first always from layer k-1 (so it lands in wave k), each further one from
 * layer k-1 with probability 3/4, otherwise from a uniformly chosen earlier layer. Services are
 * listed layer by layer; dependencies sorted by name.
 */
export function layeredDag(opts: LayeredDagOptions): ServiceInput[] {
  const { seed, layers, width, maxDeps } = opts;
  positiveInt(layers, 'layers');
  positiveInt(width, 'width');
  positiveInt(maxDeps, 'maxDeps');
  const rng = mulberry32(seed);
  const durations = durationsOf(opts.durations, layers * width);
  const name = (layer: number, slot: number) => layeredName(layer, slot, { layers, width });
  const services: ServiceInput[] = [];
  for (let layer = 0; layer < layers; layer++) {
    for (let slot = 0; slot < width; slot++) {
      const deps = new Set<string>();
      if (layer > 0) {
        const available = layer * width;
        const wanted = Math.min(rng.int(1, maxDeps), available);
        deps.add(name(layer - 1, rng.int(0, width - 1)));
        // Bounded retries: with few candidates left a draw may repeat; stop rather than loop long.
        for (let tries = 0; deps.size < wanted && tries < wanted * 20; tries++) {
          const from = rng.next() < PREVIOUS_LAYER_BIAS ? layer - 1 : rng.int(0, layer - 1);
          deps.add(name(from, rng.int(0, width - 1)));
        }
      }
      services.push(service(name(layer, slot), [...deps].sort(), durations[services.length]));
    }
  }
  return services;
}

/** s000 → s001 → … : n services, each depending on the one before (no parallelism at all). */
export function chain(opts: { n: number; durations: DurationSpec }): ServiceInput[] {
  positiveInt(opts.n, 'n');
  const durations = durationsOf(opts.durations, opts.n);
  const width = digits(opts.n - 1, 3);
  return durations.map((ms, i) => service(`s${pad(i, width)}`, i === 0 ? [] : [`s${pad(i - 1, width)}`], ms));
}

/** n services: `root`, then n-2 independent `leaf-…` behind it, then `sink` waiting on every leaf. */
export function wideFan(opts: { n: number; durations: DurationSpec }): ServiceInput[] {
  positiveInt(opts.n, 'n', 3);
  const durations = durationsOf(opts.durations, opts.n);
  const width = digits(opts.n - 3, 3);
  const leaves = Array.from({ length: opts.n - 2 }, (_, i) => `leaf-${pad(i, width)}`);
  return [
    service('root', [], durations[0]),
    ...leaves.map((leaf, i) => service(leaf, ['root'], durations[i + 1])),
    service('sink', leaves, durations[opts.n - 1]),
  ];
}

/** The raw manifest document (before validation) deploying `services` in the bench environment. */
export function manifestOf(
  name: string,
  services: ServiceInput[],
  strategy: ManifestInput['deployment']['strategy'] = {},
): ManifestInput {
  return { deployment: { name, environment: 'bench', strategy, services } };
}
