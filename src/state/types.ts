/**
 * The state store: what must outlive Temporal's retention of closed workflows (the dev server
 * keeps them 24 h) — rollback manifests, the intent ledger, deployment records. Behind this small
 * interface so a PostgreSQL backend can serve several machines; files are the default.
 */
import type { PreviousState } from '../executors/types';
import type { ResourceRef } from '../api/progress';
import type { ServiceSpec } from '../manifest/schema';
import type { ProviderHealth } from '../api/resilience';

/** Each service's state before the deployment touched anything: what a rollback restores. */
export interface RollbackManifest {
  deploymentId: string;
  name: string;
  environment: string;
  createdAt: string;
  services: Record<
    string,
    {
      executor: string;
      previous: PreviousState | null;
      /**
       * The service as the deployment was given it (manifests since issue 10): what undoing the
       * release later (`tugboat rollback <id>` after it ended) compensates with. Secret references
       * only, never their values (activities resolve them at use); output references unresolved,
       * as the deployment's own rollback uses them. Absent: that rollback is refused.
       */
      spec?: ServiceSpec;
    }
  >;
  /** The manifest file's directory (manifests since issue 10): where the specs' config paths start. */
  baseDir?: string;
}

/** One side effect, recorded before it starts and confirmed after it ended. */
export interface IntentEntry {
  idempotencyKey: string;
  deploymentId: string;
  service: string;
  step: string;
  attempt: number;
  recordedAt: string;
  status: 'intent' | 'confirmed';
  confirmedAt?: string;
  /** What the step created or changed, once confirmed. */
  resources?: Array<{ id: string; kind: string }>;
  outcome?: string;
}

/**
 * How one attempt of one step ended, when it ended by itself (an attempt whose worker died leaves
 * none). The step runner counts spent attempts from these: Temporal counts every attempt, but one
 * that a worker shutdown handed back must not use up the service's `max_attempts`.
 */
export interface AttemptRecord {
  idempotencyKey: string;
  deploymentId: string;
  service: string;
  step: string;
  /**
   * Which scheduling of the step (workflow run + activity ID): a step scheduled again under the
   * same idempotency key (an operator's retry of a blocked compensation) counts afresh.
   */
  execution: string;
  /** Temporal's attempt number within that execution, 1-based. */
  attempt: number;
  outcome: 'failed' | 'interrupted';
  /** Why a failed attempt failed. */
  message?: string;
  endedAt: string;
}

/** How a deployment ended, kept after Temporal forgets the workflow. */
export interface DeploymentRecord {
  deploymentId: string;
  workflowId: string;
  name: string;
  environment: string;
  phase: string;
  startedAt: string;
  endedAt: string;
  error?: string;
  /** Per service: how it ended, and (records since issue 10) when it ran, for learned durations. */
  services: Record<string, { state: string; version?: string; error?: string; startedAt?: string; endedAt?: string }>;
  /** Who started it (user@host), when the client said. */
  requestedBy?: string;
  orphans: Array<{ id: string; kind: string; service: string }>;
  retained: Array<{ id: string; kind: string; service: string; why: string }>;
  rollbackManifest?: string;
}

/** One service in one environment: what its executor last applied there. */
export interface ServiceStateKey {
  name: string;
  environment: string;
  service: string;
}

/**
 * What an executor last applied for a service, kept across deployments: the next deployment's
 * snapshot reads it (so a rollback can restore it), and only the executor interprets `detail`.
 * Never holds a secret's value: references only.
 */
export interface ServiceStateRecord {
  deploymentId: string;
  executor: string;
  version: string | null;
  outputs: Record<string, string>;
  resources: ResourceRef[];
  detail?: unknown;
  savedAt: string;
}

export interface ServiceStateStore {
  getServiceState(key: ServiceStateKey): Promise<ServiceStateRecord | undefined>;
  saveServiceState(key: ServiceStateKey, record: ServiceStateRecord): Promise<void>;
  deleteServiceState(key: ServiceStateKey): Promise<void>;
}

/** One environment of one deployment name: what `tugboat history` lists. */
export interface EnvironmentKey {
  name: string;
  environment: string;
}

export interface StateStore extends ServiceStateStore {
  /** Where records live, for humans (a directory, a connection string without credentials). */
  readonly location: string;
  saveRollbackManifest(manifest: RollbackManifest): Promise<string>;
  getRollbackManifest(deploymentId: string): Promise<RollbackManifest | undefined>;
  recordIntent(entry: Omit<IntentEntry, 'status' | 'recordedAt'>): Promise<void>;
  confirmIntent(idempotencyKey: string, deploymentId: string, result: Pick<IntentEntry, 'resources' | 'outcome'>): Promise<void>;
  listIntents(deploymentId: string): Promise<IntentEntry[]>;
  /** Recording the same attempt again replaces its record. */
  recordAttempt(record: AttemptRecord): Promise<void>;
  /** Every recorded attempt of the step with this idempotency key, all executions, any order. */
  listAttempts(deploymentId: string, idempotencyKey: string): Promise<AttemptRecord[]>;
  saveDeploymentRecord(record: DeploymentRecord): Promise<string>;
  getDeploymentRecord(deploymentId: string): Promise<DeploymentRecord | undefined>;
  /** The environment's deployment records, newest first (by startedAt, then deployment ID). */
  listDeploymentRecords(key: EnvironmentKey): Promise<DeploymentRecord[]>;
  /**
   * Applies `update` to the provider's shared health atomically (no lost update between workers)
   * and returns what was stored. `update` receives undefined for a provider never seen; it must be
   * pure (it may run again when another writer won a race).
   */
  updateProviderHealth(provider: string, update: (current: ProviderHealth | undefined) => ProviderHealth): Promise<ProviderHealth>;
  getProviderHealth(provider: string): Promise<ProviderHealth | undefined>;
  /** Every provider seen, by name. */
  listProviderHealth(): Promise<ProviderHealth[]>;
  /** Releases connections (a no-op for files). */
  close(): Promise<void>;
}
