/**
 * The executor interface: how Tugboat touches the world for one kind of service. Each executor is
 * a factory (its name, its config schema, examples) producing an object with one method per step.
 * All I/O goes through the injected context and dependencies, so an executor is testable without
 * Temporal, and a new executor never touches the workflow.
 */
import type { z } from 'zod';
import type { ServiceSpec } from '../manifest/schema';
import type { ApplyOutcome, VerifyOutcome } from '../api/workflow-types';
import type { ResourceRef } from '../api/progress';
import type { SecretBag } from '../secrets/resolve';
import type { ServiceStateStore } from '../state/types';

/** Which deployment a step belongs to, and where its manifest's relative paths start. */
export interface DeploymentRef {
  id: string;
  name: string;
  environment: string;
  /** The manifest file's directory: `config` paths are relative to it. */
  baseDir: string;
}

/** One service of one deployment: what read-only calls (snapshot, preflight) need. */
export interface ServiceTarget {
  deployment: DeploymentRef;
  service: ServiceSpec;
}

export interface ExecutorContext extends ServiceTarget {
  deploymentId: string;
  /** Stable across retries and re-executions: the executor passes it to the world's API. */
  idempotencyKey: string;
  /** Aborted when Temporal cancels the activity (or the worker shuts down). */
  signal: AbortSignal;
  /**
   * Record liveness with progress details while long work runs; `line` (the latest output line)
   * is what `status` shows beside the running step.
   */
  heartbeat(details?: { line?: string } & Record<string, unknown>): void;
  log(message: string, fields?: Record<string, unknown>): void;
  /** Resolves secret references at the moment of use and redacts their values from any text. */
  secrets: SecretBag;
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

export interface InventoryReport {
  items: InventoryItem[];
  /** Services whose live resources cannot be listed (e.g. a script with no `inventory` command): never reported clean. */
  unverifiable?: Array<{ service: string; reason: string }>;
}

/** Something that would make a step fail, found before anything is touched. */
export interface PreflightProblem {
  /** Where in the manifest, e.g. `config.module`. */
  path: string;
  message: string;
  /** What to do about it. */
  fix?: string;
}

export interface Executor {
  apply(ctx: ExecutorContext): Promise<ApplyOutcome>;
  verify(ctx: ExecutorContext): Promise<VerifyOutcome>;
  /** The service's current state, or null when it does not exist. Read-only. */
  snapshot(target: ServiceTarget, signal: AbortSignal): Promise<PreviousState | null>;
  /** Undo this deployment's change to the service. Idempotent by ctx.idempotencyKey. */
  compensate(ctx: ExecutorContext, action: CompensationAction, previous: PreviousState | null): Promise<CompensationOutcome>;
  /** Live resources of the given services that the deployment last changed. Read-only. */
  inventory(deployment: DeploymentRef, services: ServiceSpec[], signal: AbortSignal): Promise<InventoryReport>;
  /**
   * What would stop this service from running here (binary missing, module or script absent),
   * checked on the worker before anything is touched. Secrets are checked by the caller.
   */
  preflight?(target: ServiceTarget, signal: AbortSignal): Promise<PreflightProblem[]>;
  /**
   * The deployment has ended (its record is being stored): remove what the executor kept only for
   * its steps (working copies of a killed attempt, say). Best effort; never touches the world.
   */
  cleanup?(deploymentId: string): Promise<void>;
  /**
   * Which provider (the world this service talks to: a host, a cluster, a cloud account) its calls
   * go to, for the per-provider circuit breaker and retry budget. Pure. Absent: the executor's
   * name, one provider for all its services. A manifest's `resilience.provider` wins over both.
   */
  provider?(service: ServiceSpec): string;
}

/** What the worker gives every executor factory. */
export interface ExecutorDependencies {
  /** Base URL of the simulated cloud (the embedded default target). */
  simCloudUrl: string;
  /** Tugboat's data dir (TUGBOAT_HOME): executors keep their working copies and local state under it. */
  dataDir: string;
  /** Per-service records that outlive a deployment (what was last applied, for the next restore). */
  serviceState: ServiceStateStore;
  /** The worker's environment (secret references, tool lookup); process.env unless a test injects one. */
  env: NodeJS.ProcessEnv;
  /**
   * Set when the state store is PostgreSQL: executors with state of their own keep it in the same
   * database (OpenTofu through its `pg` backend), so every worker sees it. Absent: local files.
   */
  postgres?: { connectionString: string; schema: string };
}

export interface ExecutorFactory {
  /** The manifest's `executor:` value. */
  name: string;
  description: string;
  /** The shape of `config` for this executor (pure zod: `plan` checks it). */
  configSchema: z.ZodType;
  /** Manifest snippets that use it, shown by docs and checked by tests. */
  examples: string[];
  create(deps: ExecutorDependencies): Executor;
}
