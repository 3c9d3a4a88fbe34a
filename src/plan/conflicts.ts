/**
 * Shared external resources: two services that modify the same resource must be ordered
 * (one upstream of the other), otherwise they could run at once and race.
 */
import { formatPath, type ManifestIssue } from '../manifest/errors';
import type { ServiceSpec } from '../manifest/schema';
import type { Graph } from './dag';

/** upstream: transitive dependencies of each service. Reports the later-declared service of each pair. */
export function resourceConflicts(
  services: readonly Pick<ServiceSpec, 'name' | 'resources'>[],
  upstream: Graph,
): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const ordered = (a: string, b: string) =>
    (upstream[a]?.includes(b) ?? false) || (upstream[b]?.includes(a) ?? false);
  // resource → names of the services declared so far that modify it
  const holders = new Map<string, string[]>();
  services.forEach((service, index) => {
    [...new Set(service.resources)].forEach((resource) => {
      const position = service.resources.indexOf(resource);
      const earlier = holders.get(resource) ?? [];
      for (const other of earlier) {
        if (other === service.name || ordered(service.name, other)) continue;
        issues.push({
          path: formatPath(['deployment', 'services', index, 'resources', position]),
          message:
            `${JSON.stringify(resource)} is also modified by ${JSON.stringify(other)} and neither depends on the other; ` +
            `add one to the other's dependencies so they cannot run at once`,
        });
      }
      holders.set(resource, [...earlier, service.name]);
    });
  });
  return issues;
}
