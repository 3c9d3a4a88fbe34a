/**
 * The two ends of a rollback: before anything is touched, store every service's previous state
 * (the rollback manifest); after the compensations, check the live inventory for anything this
 * deployment created that is still there.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  FailureTypes,
  type FindOrphansInput,
  type FindOrphansResult,
  type PrepareRollbackInput,
  type PrepareRollbackResult,
} from '../api/workflow-types';
import type { ActivityDependencies } from '.';
import type { RollbackManifest } from '../state';
import { deploymentRef } from './deployment-ref';

export async function prepareRollback(
  { executors, store }: ActivityDependencies,
  input: PrepareRollbackInput,
): Promise<PrepareRollbackResult> {
  const { cancellationSignal: signal } = Context.current();
  const services: RollbackManifest['services'] = {};
  const previous: Record<string, string> = {};
  // Snapshots are reads: take them side by side, this runs before any service may start.
  const deployment = deploymentRef(input.deploymentId, { name: input.name, environment: input.environment, baseDir: input.baseDir });
  const states = await Promise.all(
    input.services.map(async (service) => {
      const state = await executors.get(service.executor).snapshot({ deployment, service }, signal);
      Context.current().heartbeat({ snapshot: service.name });
      return state;
    }),
  );
  input.services.forEach((service, i) => {
    // The spec as the workflow passed it (secret references, never values): a later rollback of
    // this release, after it ended, compensates with it.
    services[service.name] = { executor: service.executor, previous: states[i], spec: service };
    previous[service.name] = states[i] ? `present at ${states[i]!.version ?? 'unknown version'}` : 'absent';
  });
  const manifest: RollbackManifest = {
    deploymentId: input.deploymentId,
    name: input.name,
    environment: input.environment,
    createdAt: new Date().toISOString(),
    services,
    ...(input.baseDir === undefined ? {} : { baseDir: input.baseDir }),
  };
  try {
    const location = await store.saveRollbackManifest(manifest);
    return { location, previous };
  } catch (err) {
    throw ApplicationFailure.create({
      type: FailureTypes.rollbackManifest,
      message: `could not store the rollback manifest in ${store.location}: ${(err as Error).message}`,
    });
  }
}

export async function findOrphans(
  { executors }: ActivityDependencies,
  input: FindOrphansInput,
): Promise<FindOrphansResult> {
  const { cancellationSignal: signal } = Context.current();
  const deployment = deploymentRef(input.deploymentId, input.deployment);
  const retained = new Set(input.retainedResourceIds);
  const byExecutor = new Map<string, FindOrphansInput['services']>();
  for (const s of input.services) byExecutor.set(s.executor, [...(byExecutor.get(s.executor) ?? []), s]);
  const orphans: FindOrphansResult = [];
  for (const [name, services] of byExecutor) {
    const report = await executors.get(name).inventory(deployment, services, signal);
    for (const item of report.items) {
      // Resources a restore handed back to the deployment before are that deployment's, not orphans.
      if (item.deploymentId !== input.deploymentId) continue;
      if (!retained.has(item.id)) orphans.push({ id: item.id, kind: item.kind, service: item.service });
    }
    // Never reported clean: a service whose live resources cannot be listed shows up as such.
    for (const u of report.unverifiable ?? []) orphans.push({ id: `${u.service}:unverifiable`, kind: 'unverifiable', service: u.service, unverifiable: u.reason });
  }
  return orphans;
}
