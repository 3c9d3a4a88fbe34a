/**
 * How long the deployment must take at least: the heaviest chain of dependent services.
 * remainingMs doubles as the scheduler's priority (start what most work waits on first).
 */
import type { Graph } from './dag';

export interface CriticalPath {
  remainingMs: Record<string, number>;
  criticalPath: string[];
  criticalPathMs: number;
  serialSumMs: number;
}

/** The heaviest of names (by remainingMs), the alphabetically first among equals. */
function heaviest(names: readonly string[], remainingMs: Record<string, number>): string | undefined {
  let best: string | undefined;
  for (const name of names) {
    if (best === undefined || remainingMs[name] > remainingMs[best] || (remainingMs[name] === remainingMs[best] && name < best)) {
      best = name;
    }
  }
  return best;
}

/** order must be topological (dependencies first); dependents lists direct dependents. */
export function computeCriticalPath(order: readonly string[], dependents: Graph, durationMs: Record<string, number>): CriticalPath {
  const remainingMs: Record<string, number> = {};
  for (const name of [...order].reverse()) {
    const after = dependents[name].reduce((max, next) => Math.max(max, remainingMs[next]), 0);
    remainingMs[name] = durationMs[name] + after;
  }
  const criticalPath: string[] = [];
  let current = heaviest(order, remainingMs);
  while (current !== undefined) {
    criticalPath.push(current);
    current = heaviest(dependents[current], remainingMs);
  }
  const criticalPathMs = criticalPath.length > 0 ? remainingMs[criticalPath[0]] : 0;
  const serialSumMs = order.reduce((sum, name) => sum + durationMs[name], 0);
  return { remainingMs, criticalPath, criticalPathMs, serialSumMs };
}
