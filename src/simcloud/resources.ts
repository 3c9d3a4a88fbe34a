/**
 * What an apply "creates": the resource kind a service type and name stand for, the resource's ID
 * and the outputs a real tool would report for it. All derived from stable inputs (name, kind,
 * createdSeq), so outputs do not change when a service is updated in place.
 */
import type { Resource, ResourceKind, SimServiceType } from './types';

export function resourceKindFor(type: SimServiceType, name: string): ResourceKind {
  switch (type) {
    case 'terraform':
      if (name.includes('vpc')) return 'vpc';
      if (['rds', 'db', 'database', 'postgres'].some((word) => name.includes(word))) return 'database';
      return 'stack';
    case 'kubernetes':
      return name.includes('cluster') ? 'cluster' : 'deployment';
    case 'monitoring':
      return 'dashboard';
    case 'docker':
      return 'container';
    case 'shell':
      return 'job';
    case 'http':
      return 'endpoint';
  }
}

/** `vpc-0001a2`: unique because sequence numbers are (until a reset, which also clears resources). */
export function resourceId(kind: string, createdSeq: number): string {
  return `${kind}-${createdSeq.toString(16).padStart(6, '0')}`;
}

export function outputsFor(resource: Resource, version: string | null): Record<string, string> {
  const name = resource.service;
  const byKind = ((): Record<string, string> => {
    switch (resource.kind) {
      case 'vpc':
        return { vpc_id: resource.id, cidr: `10.${resource.createdSeq % 256}.0.0/16` };
      case 'database':
        return { db_id: resource.id, endpoint: `${name}.db.sim.local:5432` };
      case 'cluster':
        return { cluster_id: resource.id, endpoint: `https://${name}.k8s.sim.local` };
      case 'deployment':
        return { deployment_id: resource.id, url: `http://${name}.apps.sim.local` };
      case 'dashboard':
        return { dashboard_url: `http://grafana.sim.local/d/${name}` };
      default:
        return { id: resource.id };
    }
  })();
  // Outputs are all strings (they feed templating); an unversioned apply reports "".
  return { ...byKind, version: version ?? '' };
}
