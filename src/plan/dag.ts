/**
 * The dependency graph of a manifest's services. Defensive about input validateManifest should
 * already have rejected: unknown names and repeated entries are dropped here, not trusted.
 */
import type { ServiceSpec } from '../manifest/schema';

export type Graph = Record<string, string[]>;

/** Service name → its direct dependencies (known names only, first occurrence kept, declared order). */
export function dependencyGraph(services: readonly Pick<ServiceSpec, 'name' | 'dependencies'>[]): Graph {
  const known = new Set(services.map((service) => service.name));
  const graph: Graph = {};
  for (const service of services) {
    if (Object.hasOwn(graph, service.name)) continue; // duplicate names: the first one wins
    graph[service.name] = [...new Set(service.dependencies)].filter((name) => known.has(name));
  }
  return graph;
}

/** Service name → the services that list it as a dependency (sorted). */
export function dependentsOf(dependencies: Graph): Graph {
  const dependents: Graph = {};
  for (const name of Object.keys(dependencies)) dependents[name] = [];
  for (const [name, deps] of Object.entries(dependencies)) for (const dep of deps) dependents[dep].push(name);
  for (const list of Object.values(dependents)) list.sort();
  return dependents;
}

/** Everything reachable from each node by following edges (sorted); works on cyclic graphs too. */
export function reachable(graph: Graph): Graph {
  const result: Graph = {};
  for (const start of Object.keys(graph)) {
    const seen = new Set<string>();
    const stack = [...graph[start]];
    while (stack.length > 0) {
      const next = stack.pop() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...graph[next]);
    }
    result[start] = [...seen].sort();
  }
  return result;
}
