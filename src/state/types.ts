/**
 * The state store: what must outlive Temporal's retention of closed workflows (the dev server
 * keeps them 24 h) — rollback manifests, the intent ledger, deployment records. Behind this small
 * interface so a PostgreSQL backend can serve several machines; files are the default.
 */
import type { PreviousState } from '../executors/types';

/** Each service's state before the deployment touched anything: what a rollback restores. */
export interface RollbackManifest {
  deploymentId: string;
  name: string;
  environment: string;
  createdAt: string;
  services: Record<string, { executor: string; previous: PreviousState | null }>;
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
  services: Record<string, { state: string; version?: string; error?: string }>;
  orphans: Array<{ id: string; kind: string; service: string }>;
  retained: Array<{ id: string; kind: string; service: string; why: string }>;
  rollbackManifest?: string;
}

export interface StateStore {
  /** Where records live, for humans (a directory, a connection string without credentials). */
  readonly location: string;
  saveRollbackManifest(manifest: RollbackManifest): Promise<string>;
  getRollbackManifest(deploymentId: string): Promise<RollbackManifest | undefined>;
  recordIntent(entry: Omit<IntentEntry, 'status' | 'recordedAt'>): Promise<void>;
  confirmIntent(idempotencyKey: string, deploymentId: string, result: Pick<IntentEntry, 'resources' | 'outcome'>): Promise<void>;
  listIntents(deploymentId: string): Promise<IntentEntry[]>;
  saveDeploymentRecord(record: DeploymentRecord): Promise<string>;
  getDeploymentRecord(deploymentId: string): Promise<DeploymentRecord | undefined>;
}
