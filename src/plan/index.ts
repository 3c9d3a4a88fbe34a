/**
 * Planning: a validated manifest → waves, critical path and schedule, or every reason it cannot run
 * (cycles, unordered resource conflicts, references to non-dependencies). Pure: workflow code plans.
 */
import { ManifestError, type ManifestIssue } from '../manifest/errors';
import { parseDuration, type Manifest } from '../manifest/schema';
import { checkServiceGraph } from '../manifest/validate';
import { resourceConflicts } from './conflicts';
import { computeCriticalPath } from './critical-path';
import { cycleIssues } from './cycles';
import { dependencyGraph, dependentsOf, reachable } from './dag';
import { referenceIssues } from './references';
import type { Plan } from './types';
import { computeWaves } from './waves';

export type PlanResult = { ok: true; plan: Plan } | { ok: false; issues: ManifestIssue[] };

export function planDeployment(manifest: Manifest): PlanResult {
  const services = manifest.deployment.services;
  const dependencies = dependencyGraph(services);
  const upstream = reachable(dependencies);
  const issues = [
    // Repeated here in case the manifest did not come through validateManifest.
    ...checkServiceGraph(services),
    ...cycleIssues(dependencies),
    ...resourceConflicts(services, upstream),
    ...referenceIssues(services, upstream),
  ];
  if (issues.length > 0) return { ok: false, issues };

  const dependents = dependentsOf(dependencies);
  const { waves, waveOf } = computeWaves(dependencies);
  const order = waves.flat();
  const durationMs: Record<string, number> = {};
  for (const service of services) durationMs[service.name] = service.simulate ? parseDuration(service.simulate.duration) : 1;
  const critical = computeCriticalPath(order, dependents, durationMs);
  return {
    ok: true,
    plan: { order, dependencies, dependents, waves, waveOf, durationMs, upstream, ...critical },
  };
}

export function planOrThrow(manifest: Manifest): Plan {
  const result = planDeployment(manifest);
  if (!result.ok) throw new ManifestError(result.issues);
  return result.plan;
}

export type { Plan } from './types';
export type { Graph } from './dag';
export { dependencyGraph, dependentsOf, reachable } from './dag';
export { findCycles, cycleIssues } from './cycles';
export { computeWaves, type Waves } from './waves';
export { computeCriticalPath, type CriticalPath } from './critical-path';
export { resourceConflicts } from './conflicts';
export { referenceIssues } from './references';
export { dependenciesSucceeded, nextServicesToStart, type ScheduleState } from './schedule';
export { planToJson, renderPlan, formatMs, type PlanJson } from './render';
export {
  findReferences,
  resolveReferences,
  UnresolvedReferenceError,
  REFERENCE_SYNTAX,
  type OutputReference,
} from '../manifest/references';
