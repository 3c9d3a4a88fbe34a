/** Kahn levels: wave 0 has no dependencies, wave k depends on nothing later than wave k-1. */
import type { Graph } from './dag';

export interface Waves {
  waves: string[][];
  waveOf: Record<string, number>;
}

/** Requires an acyclic graph (check cycles first); services in a cycle would be left out. */
export function computeWaves(dependencies: Graph): Waves {
  const waveOf: Record<string, number> = {};
  const waves: string[][] = [];
  let pending = Object.keys(dependencies).sort();
  while (pending.length > 0) {
    const level = waves.length;
    const ready = pending.filter((name) => dependencies[name].every((dep) => Object.hasOwn(waveOf, dep) && waveOf[dep] < level));
    if (ready.length === 0) break; // a cycle: nothing more can be placed
    for (const name of ready) waveOf[name] = level;
    waves.push(ready);
    pending = pending.filter((name) => !Object.hasOwn(waveOf, name));
  }
  return { waves, waveOf };
}
