/**
 * Planning: a validated manifest → waves, critical path and schedule, or every reason it cannot run
 * (cycles, unordered resource conflicts, references to non-dependencies). Pure: workflow code plans.
 */
import { ManifestError, type ManifestIssue } from '../manifest/errors';
import { parseDuration, type Manifest } from '../manifest/schema';
import { checkServiceGraph, validateManifest, type ValidateOptions } from '../manifest/validate';
import { resourceConflicts } from './conflicts';
import { computeCriticalPath } from './critical-path';
import { cycleIssues } from './cycles';
import { dependencyGraph, dependentsOf, lazyReachable, reachable } from './dag';
import { referenceIssues } from './references';
import type { DecidedPlan, Plan } from './types';
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

/** What the workflow input records of a plan (see DecidedPlan). */
export function decidedPart(plan: Plan): DecidedPlan {
  const { order, waves, durationMs, remainingMs, criticalPath, criticalPathMs, serialSumMs } = plan;
  return { order, waves, durationMs, remainingMs, criticalPath, criticalPathMs, serialSumMs };
}

/**
 * The full plan from a recorded decision plus the graph facts (direct and transitive dependencies,
 * dependents, wave numbers) computed from the manifest. Undefined when the decision does not fit
 * the manifest (a hand-written input): every service exactly once, in waves that match the order.
 */
export function completePlan(manifest: Manifest, decided: DecidedPlan): Plan | undefined {
  const names = manifest.deployment.services.map((s) => s.name);
  if (!Array.isArray(decided.order) || !Array.isArray(decided.waves)) return undefined;
  const flat = decided.waves.flat();
  const known = new Set(names);
  if (
    decided.order.length !== names.length ||
    new Set(decided.order).size !== names.length ||
    !decided.order.every((n) => known.has(n)) ||
    flat.length !== names.length ||
    flat.some((n, i) => n !== decided.order[i]) ||
    !names.every((n) => typeof decided.remainingMs?.[n] === 'number' && typeof decided.durationMs?.[n] === 'number')
  ) {
    return undefined;
  }
  const dependencies = dependencyGraph(manifest.deployment.services);
  const waveOf: Record<string, number> = {};
  decided.waves.forEach((wave, i) => wave.forEach((name) => (waveOf[name] = i)));
  // Lazy: the workflow reads upstream only after a failure, and the whole closure is O(N²) (dag.ts).
  return { ...decided, dependencies, dependents: dependentsOf(dependencies), waveOf, upstream: lazyReachable(dependencies) };
}

/** A raw document validated, then planned: the manifest with its plan, or the issues of the step that failed. */
export function validateAndPlan(
  raw: unknown,
  opts: ValidateOptions = {},
): { ok: true; manifest: Manifest; plan: Plan } | { ok: false; issues: ManifestIssue[] } {
  const validated = validateManifest(raw, opts);
  if (!validated.ok) return validated;
  const planned = planDeployment(validated.manifest);
  return planned.ok ? { ok: true, manifest: validated.manifest, plan: planned.plan } : planned;
}

export function planOrThrow(manifest: Manifest): Plan {
  const result = planDeployment(manifest);
  if (!result.ok) throw new ManifestError(result.issues);
  return result.plan;
}

export type { DecidedPlan, Plan } from './types';
export type { Graph } from './dag';
export { dependencyGraph, dependentsOf, downstreamOf, lazyReachable, reachable, reachableFrom } from './dag';
export { findCycles, cycleIssues } from './cycles';
export { computeWaves, type Waves } from './waves';
export { computeCriticalPath, type CriticalPath } from './critical-path';
export { resourceConflicts } from './conflicts';
export { referenceIssues } from './references';
export { dependenciesSucceeded, nextServicesToStart, type ScheduleState } from './schedule';
export {
  lowerBoundMs,
  simulateSchedule,
  type SchedulingPolicy,
  type SimulateOptions,
  type SimulationResult,
} from './simulate';
export { planToJson, renderPlan, formatMs, type PlanJson } from './render';
export {
  findReferences,
  resolveReferences,
  UnresolvedReferenceError,
  REFERENCE_SYNTAX,
  type OutputReference,
} from '../manifest/references';
