/**
 * Inputs and outputs of Tugboat's workflows: the contract between the client that starts a
 * deployment, the parent workflow and its per-service children.
 */
import type { DecidedPlan } from '../plan/types';
import type { SecretReference } from '../secrets/reference';
import { ROLLBACK_RETRY_DEFAULTS, retrySchema, type HealthCheckSpec, type Manifest, type RetrySpec, type ServiceSpec } from '../manifest/schema';
import type { ResourceRef, ServiceSteps, StepAttempts } from './progress';

export type { ServiceSteps, StepAttempts };

export interface DeploymentInput {
  /** Unique per run, time-sortable; the workflow ID (the environment lock) repeats across runs. */
  deploymentId: string;
  /** Validated by the client, defaults filled in. */
  manifest: Manifest;
  /**
   * The client's plan decision, recorded here so the workflow never re-decides it (a newer
   * worker replaying this run would otherwise re-validate and re-plan with newer rules). Absent
   * from a hand-started run (temporal CLI, Web UI): the workflow then decides in its first activity.
   */
  plan?: DecidedPlan;
  /** Who asked (user@host), for the record. */
  requestedBy?: string;
  /** Where the manifest came from (a file path), for the record. */
  source?: string;
  /**
   * The manifest file's directory, absolute: executors resolve `config` paths (modules, scripts)
   * against it. Absent from hand-started runs: the worker's working directory then.
   */
  baseDir?: string;
}

/** Which deployment a step belongs to: what executors key their own state by. */
export interface DeploymentScope {
  name: string;
  environment: string;
  /** See DeploymentInput.baseDir. */
  baseDir?: string;
  /** strategy.resilience: every step's breaker and retry budget settings under its service's own (absent: the service's over the defaults). */
  resilience?: import('../manifest/schema').ResilienceSpec;
}

export interface ServiceWorkflowInput {
  deploymentId: string;
  /** The service with `${{ services.x.outputs.y }}` references already resolved. */
  service: ServiceSpec;
  /** Absent from runs started before executors needed it. */
  deployment?: DeploymentScope;
  /**
   * The task queue its steps run on (the parent resolved the service's specialty queue). Absent
   * from runs started before specialty queues: the child's own queue.
   */
  taskQueue?: string;
}

export interface ServiceWorkflowResult {
  version: string | null;
  outputs: Record<string, string>;
  resources: ResourceRef[];
  healthy: boolean;
  healthDetail?: string;
  /** The live state already ran this version: apply changed nothing. */
  unchanged?: boolean;
  /** Attempts per step (absent from runs recorded before steps reported them). */
  steps?: ServiceSteps;
}

/** One step of one service: what every executor activity receives. */
export interface StepInput {
  deploymentId: string;
  service: ServiceSpec;
  /** deploymentId + service + step, never the attempt: retries and re-executions reuse it. */
  idempotencyKey: string;
  /** Absent from runs started before executors needed it. */
  deployment?: DeploymentScope;
}

export interface ApplyOutcome {
  /** unchanged: the live state already runs this `version`; nothing was called that mutates. */
  outcome: 'created' | 'updated' | 'repeat' | 'unchanged';
  version: string | null;
  outputs: Record<string, string>;
  resources: ResourceRef[];
  /** Filled in by the step runner, not by executors. */
  attempts?: StepAttempts;
}

export interface VerifyOutcome {
  healthy: boolean;
  version?: string | null;
  detail?: string;
  /** Filled in by the step runner, not by executors. */
  attempts?: StepAttempts;
}

/**
 * Temporal's own attempt limit is the service's `max_attempts` plus this many: attempts that a
 * worker shutdown interrupted are handed back (the step runner does not count them), and this
 * bounds how many such hand-backs one step may have.
 */
export const WORKER_INTERRUPTION_ALLOWANCE = 10;

export type DeployStep = 'apply' | 'verify' | 'compensate';

export interface PrepareRollbackInput {
  deploymentId: string;
  name: string;
  environment: string;
  services: ServiceSpec[];
  baseDir?: string;
}

export interface PrepareRollbackResult {
  /** Where the manifest is stored (no contents: those stay out of workflow history). */
  location: string;
  /** Per service: "absent" or the version it had. */
  previous: Record<string, string>;
}

export interface CompensateInput extends StepInput {
  action: 'delete' | 'restore' | 'retain';
}

export interface CompensateResult {
  action: 'delete' | 'restore' | 'retain';
  outcome: string;
  resources: ResourceRef[];
  /** Filled in by the step runner, not by executors. */
  attempts?: StepAttempts;
}

export interface FindOrphansInput {
  deploymentId: string;
  services: ServiceSpec[];
  /** Services whose resources are meant to stay (retained or skipped). */
  retainedResourceIds: string[];
  deployment?: DeploymentScope;
}

/**
 * Live resources the deployment left behind after its rollback. An entry with `unverifiable` is a
 * service whose resources cannot be listed (a script with no `inventory` command): not an orphan
 * found, but not a clean bill either.
 */
export type FindOrphansResult = Array<{ id: string; kind: string; service: string; unverifiable?: string }>;

/** One notification, sent by the `notify` activity to one webhook. */
export interface NotifyInput {
  /** deploymentId + event + a sequence number: a retried activity posts the same key (receivers may dedupe). */
  key: string;
  /** A URL, or a reference the activity resolves (the URL then never enters history). */
  webhook: string | SecretReference;
  event: string;
  deploymentId: string;
  name: string;
  environment: string;
  phase: string;
  /** One human sentence: the Slack `text`. */
  text: string;
  service?: string;
  /** Structured extras (failed / skipped lists, approval deadline…), plain strings and lists only. */
  fields?: Record<string, string | string[]>;
}

export interface NotifyResult {
  delivered: boolean;
  /** HTTP status or why it could not be delivered. */
  detail: string;
}

/** The bake window: watch health for `durationMs` after every service succeeded. */
export interface BakeInput {
  deploymentId: string;
  durationMs: number;
  /** Services to watch: each one's `health_check` when it has one, else its executor's own verify. */
  services: ServiceSpec[];
  /** The manifest's deployment-level `health_checks`. */
  healthChecks: HealthCheckSpec[];
  deployment?: DeploymentScope;
}

export interface BakeResult {
  healthy: boolean;
  /** Probe rounds run. */
  checks: number;
  /** Why it failed: which target, what it answered. */
  detail?: string;
}

/** The retry policy a step runs under: compensations have their own (`rollback_retry`). */
export function stepRetrySpec(service: ServiceSpec, step: DeployStep): RetrySpec {
  if (step !== 'compensate') return service.retry;
  // A manifest validated before rollback_retry existed (an older client's input) has none.
  return service.rollback_retry ?? retrySchema.parse(ROLLBACK_RETRY_DEFAULTS);
}

export function idempotencyKey(deploymentId: string, service: string, step: DeployStep): string {
  return `${deploymentId}:${service}:${step}`;
}

/** The failure types executors classify errors into; the workflow reads only these. */
export const FailureTypes = {
  transient: 'TransientDeployError',
  permanent: 'PermanentDeployError',
  manifest: 'InvalidManifestError',
  unhealthy: 'UnhealthyError',
  deploymentFailed: 'DeploymentFailed',
  rollbackManifest: 'RollbackManifestError',
} as const;
