/**
 * Every generated manifest the bench deploys or simulates, with its fixed seeds (listed in the
 * results JSON and BENCHMARKS.md). Smoke sizes keep the shape and shrink it to seconds.
 */
import { chain, layeredDag, manifestOf, type DurationSpec } from '../lib/generate';
import type { ServiceInput } from '../../src/manifest/schema';

/** A no-op service: the simulated executor waits this long (the schema's smallest positive duration). */
export const NOOP: DurationSpec = { kind: 'constant', ms: 1 };

export interface Shape {
  /** Deployment name prefix. */
  name: string;
  services: ServiceInput[];
  strategy: { max_parallel: number; execution?: 'eager' | 'waves' };
  /** The generator call, for the results file. */
  recipe: Record<string, unknown>;
}

function shape(name: string, recipe: Record<string, unknown>, services: ServiceInput[], strategy: Shape['strategy']): Shape {
  return { name, services, strategy, recipe };
}

/** Scenarios 1, 2, 4: skewed layered DAG, 200 services, mean 2 s, max_parallel 10. */
export function skewedDag(smoke: boolean): Shape {
  const opts = smoke
    ? { seed: 1201, layers: 3, width: 4, maxDeps: 3, durations: { kind: 'skewed', meanMs: 100, seed: 1202 } as DurationSpec }
    : { seed: 1201, layers: 8, width: 25, maxDeps: 3, durations: { kind: 'skewed', meanMs: 2000, seed: 1202 } as DurationSpec };
  return shape('skewed', { generator: 'layeredDag', ...opts }, layeredDag(opts), { max_parallel: smoke ? 4 : 10 });
}

/** Scenarios 3, 4: a chain of no-ops. */
export function noopChain(smoke: boolean): Shape {
  const opts = { n: smoke ? 10 : 50, durations: NOOP };
  return shape('chain', { generator: 'chain', ...opts }, chain(opts), { max_parallel: 10 });
}

/** Scenarios 4, 5, 8: 20 layers × 100 no-op services, max_parallel 100. */
export function scaleDag(smoke: boolean): Shape {
  const opts = smoke
    ? { seed: 1205, layers: 2, width: 5, maxDeps: 3, durations: NOOP }
    : { seed: 1205, layers: 20, width: 100, maxDeps: 3, durations: NOOP };
  return shape('scale', { generator: 'layeredDag', ...opts }, layeredDag(opts), { max_parallel: smoke ? 5 : 100 });
}

/** Scenario 6: deployment i of the concurrent batch (10 services, skewed around 500 ms). */
export function concurrentDag(i: number, smoke: boolean): Shape {
  const opts = { seed: 1300 + i, layers: smoke ? 2 : 5, width: 2, maxDeps: 2, durations: { kind: 'skewed', meanMs: smoke ? 50 : 500, seed: 1400 + i } as DurationSpec };
  return shape(`conc-${String(i).padStart(2, '0')}`, { generator: 'layeredDag', ...opts }, layeredDag(opts), { max_parallel: 10 });
}
export const concurrentCount = (smoke: boolean) => (smoke ? 3 : 20);

/**
 * Scenario 2's simulation sweep: seeds 3001..3000+n, each a layered DAG whose size, fan-in and
 * concurrency cap cycle through the lists below (so every combination appears), skewed durations.
 */
export function sweep(smoke: boolean): Array<Shape & { seed: number }> {
  const layers = [4, 8, 16];
  const widths = [5, 10, 25];
  const deps = [1, 2, 4];
  const caps = [2, 5, 10, 1000];
  const n = smoke ? 12 : layers.length * widths.length * deps.length * caps.length;
  return Array.from({ length: n }, (_, k) => {
    const seed = 3001 + k;
    const opts = {
      seed,
      layers: layers[k % 3],
      width: widths[Math.floor(k / 3) % 3],
      maxDeps: deps[Math.floor(k / 9) % 3],
      durations: { kind: 'skewed', meanMs: 1000, seed: seed + 10_000 } as DurationSpec,
    };
    return { seed, ...shape(`sweep-${seed}`, { generator: 'layeredDag', ...opts }, layeredDag(opts), { max_parallel: caps[Math.floor(k / 27) % 4] }) };
  });
}

export function manifestFor(s: Shape, name = s.name, strategy: Shape['strategy'] = s.strategy) {
  return manifestOf(name, s.services, strategy);
}

/** Every seed behind the generated manifests, for the results file. */
export function seeds(smoke: boolean) {
  const skewed = skewedDag(smoke).recipe;
  return {
    skewedDag: { graph: skewed.seed, durations: (skewed.durations as { seed: number }).seed },
    scaleDag: { graph: scaleDag(smoke).recipe.seed },
    concurrent: Array.from({ length: concurrentCount(smoke) }, (_, i) => {
      const r = concurrentDag(i, smoke).recipe;
      return { graph: r.seed, durations: (r.durations as { seed: number }).seed };
    }),
    sweep: sweep(smoke).map((s) => ({ graph: s.seed, durations: (s.recipe.durations as { seed: number }).seed })),
  };
}
