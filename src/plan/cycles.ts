/**
 * Dependency cycles, each named so it can be broken. One cycle per strongly connected component,
 * chosen deterministically: the shortest cycle through the component's alphabetically first service,
 * following dependencies in name order. Arrows point from a service to one of its dependencies.
 */
import type { ManifestIssue } from '../manifest/errors';
import type { Graph } from './dag';

/** Strongly connected components (Tarjan), each sorted; only those that contain a cycle. */
function cyclicComponents(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of [...graph[node]].sort()) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfLoop = component.length === 1 && graph[node].includes(node);
      if (component.length > 1 || selfLoop) components.push(component.sort());
    }
  };
  for (const node of Object.keys(graph).sort()) if (!index.has(node)) visit(node);
  return components.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Shortest way from start back to start inside the component (BFS, neighbours in name order). */
function shortestCycleThrough(start: string, component: readonly string[], graph: Graph): string[] {
  const members = new Set(component);
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift() as string;
    for (const next of [...graph[node]].sort()) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0]) as string);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start]; // unreachable for a real component
}

/** Every independent cycle, e.g. ["alpha", "beta", "gamma", "alpha"]: alpha depends on beta … */
export function findCycles(graph: Graph): string[][] {
  return cyclicComponents(graph).map((component) => shortestCycleThrough(component[0], component, graph));
}

export function cycleIssues(graph: Graph): ManifestIssue[] {
  return findCycles(graph).map((cycle) => ({
    path: 'deployment.services',
    message: `cycle: ${cycle.join(' → ')} (each depends on the next); remove one of these dependencies`,
  }));
}
