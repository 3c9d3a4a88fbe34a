/**
 * The executor interface: how Tugboat touches the world for one kind of service. Each executor is
 * a factory (its name, what it needs, examples) producing an object with one method per step. All
 * I/O goes through the injected context, so an executor is testable without Temporal.
 */
import type { ServiceSpec } from '../manifest/schema';
import type { ApplyOutcome, VerifyOutcome } from '../api/workflow-types';

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

export interface Executor {
  apply(ctx: ExecutorContext): Promise<ApplyOutcome>;
  verify(ctx: ExecutorContext): Promise<VerifyOutcome>;
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
