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
  type PrepareRollbackInput,
  type PrepareRollbackResult,
} from '../api/workflow-types';
import type { ActivityDependencies } from '.';
import type { RollbackManifest } from '../state';

export async function prepareRollback(
  { executors, store }: ActivityDependencies,
  input: PrepareRollbackInput,
): Promise<PrepareRollbackResult> {
  const { cancellationSignal: signal } = Context.current();
  const services: RollbackManifest['services'] = {};
  const previous: Record<string, string> = {};
  // Snapshots are reads: take them side by side, this runs before any service may start.
  const states = await Promise.all(
    input.services.map(async (service) => {
      const state = await executors.get(service.executor).snapshot(service, signal);
      Context.current().heartbeat({ snapshot: service.name });
      return state;
    }),
  );
  input.services.forEach((service, i) => {
    services[service.name] = { executor: service.executor, previous: states[i] };
    previous[service.name] = states[i] ? `present at ${states[i]!.version ?? 'unknown version'}` : 'absent';
  });
  const manifest: RollbackManifest = {
    deploymentId: input.deploymentId,
    name: input.name,
    environment: input.environment,
    createdAt: new Date().toISOString(),
    services,
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
): Promise<Array<{ id: string; kind: string; service: string }>> {
  const { cancellationSignal: signal } = Context.current();
  const retained = new Set(input.retainedResourceIds);
  const byExecutor = new Map<string, FindOrphansInput['services']>();
  for (const s of input.services) byExecutor.set(s.executor, [...(byExecutor.get(s.executor) ?? []), s]);
  const orphans: Array<{ id: string; kind: string; service: string }> = [];
  for (const [name, services] of byExecutor) {
    for (const item of await executors.get(name).inventory(input.deploymentId, services, signal)) {
      if (!retained.has(item.id)) orphans.push({ id: item.id, kind: item.kind, service: item.service });
    }
  }
  return orphans;
}
