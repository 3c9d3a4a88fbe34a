/**
 * The executor interface: how Tugboat touches the world for one kind of service. Each executor is
 * a factory (its name, what it needs, examples) producing an object with one method per step. All
 * I/O goes through the injected context, so an executor is testable without Temporal.
 */
import type { ServiceSpec } from '../manifest/schema';
import type { ApplyOutcome, VerifyOutcome } from '../api/workflow-types';
import type { ResourceRef } from '../api/progress';

export interface ExecutorContext {
  deploymentId: string;
  service: ServiceSpec;
  /** Stable across retries and re-executions: the executor passes it to the world's API. */
  idempotencyKey: string;
  /** Aborted when Temporal cancels the activity (or the worker shuts down). */
  signal: AbortSignal;
  /** Record liveness (and optional progress details) while long work runs. */
  heartbeat(details?: unknown): void;
  log(message: string, fields?: Record<string, unknown>): void;
}

/** A service's state as the world has it: what a rollback restores. */
export interface PreviousState {
  version: string | null;
  outputs: Record<string, string>;
  resources: ResourceRef[];
  /** Executor-specific detail it needs to restore exactly (opaque to everyone else). */
  detail?: unknown;
}

export type CompensationAction = 'delete' | 'restore' | 'retain';

export interface CompensationOutcome {
  action: CompensationAction;
  /** What happened: deleted, restored, retained, or noop (nothing there to undo). */
  outcome: string;
  resources: ResourceRef[];
}

/** A resource in the live inventory, attributed to the deployment that last changed it. */
export interface InventoryItem extends ResourceRef {
  service: string;
  deploymentId: string;
}

export interface Executor {
  apply(ctx: ExecutorContext): Promise<ApplyOutcome>;
  verify(ctx: ExecutorContext): Promise<VerifyOutcome>;
  /** The service's current state, or null when it does not exist. Read-only. */
  snapshot(service: ServiceSpec, signal: AbortSignal): Promise<PreviousState | null>;
  /** Undo this deployment's change to the service. Idempotent by ctx.idempotencyKey. */
  compensate(ctx: ExecutorContext, action: CompensationAction, previous: PreviousState | null): Promise<CompensationOutcome>;
  /** Live resources of the given services that the deployment last changed. Read-only. */
  inventory(deploymentId: string, services: ServiceSpec[], signal: AbortSignal): Promise<InventoryItem[]>;
}

/** What the worker gives every executor factory. */
export interface ExecutorDependencies {
  /** Base URL of the simulated cloud (the embedded default target). */
  simCloudUrl: string;
}

export interface ExecutorFactory {
  /** The manifest's `executor:` value. */
  name: string;
  description: string;
  /** Manifest snippets that use it, shown by docs and checked by tests. */
  examples: string[];
  create(deps: ExecutorDependencies): Executor;
}
