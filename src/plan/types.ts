/** The execution plan derived from a validated manifest. Plain data: it travels through workflow history. */
export interface Plan {
  /** Services in a deterministic topological order (wave by wave, names sorted within a wave). */
  order: string[];
  /** Direct dependencies, as declared. */
  dependencies: Record<string, string[]>;
  /** Direct dependents (sorted). */
  dependents: Record<string, string[]>;
  /** Kahn levels, names sorted within a wave. */
  waves: string[][];
  /** 0-based wave of each service. */
  waveOf: Record<string, number>;
  /** parseDuration(simulate.duration), or 1 when a service has no simulate block (unit weight). */
  durationMs: Record<string, number>;
  /** Longest path from this service to any sink, itself included: the scheduling priority. */
  remainingMs: Record<string, number>;
  /** Longest path by durationMs, first service first; ties broken by name order. */
  criticalPath: string[];
  /** Lower bound on wall time with unlimited parallelism. */
  criticalPathMs: number;
  /** Sum of all durations: wall time with no parallelism. */
  serialSumMs: number;
  /** Transitive dependencies (sorted). From completePlan, each entry is computed when first read (lazyReachable). */
  upstream: Record<string, string[]>;
}

/**
 * The part of a plan that is a decision of this Tugboat release (tie-breaks, weights, priorities),
 * as opposed to facts of the dependency graph: decided once by the client, carried in the
 * workflow's input, so a newer worker replays an older run exactly as it was decided. O(services),
 * unlike the transitive `upstream`, so it stays small in history.
 */
export type DecidedPlan = Pick<
  Plan,
  'order' | 'waves' | 'durationMs' | 'remainingMs' | 'criticalPath' | 'criticalPathMs' | 'serialSumMs'
>;
