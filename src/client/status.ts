/**
 * A deployment's status as `tugboat status` shows it: the workflow's own progress (query) plus,
 * for running services, the current attempt and last failure read by describing the child —
 * server-side activity retries are invisible to workflow code, so RETRYING only shows from here.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { BlockedCompensation, DeploymentPhase, DeploymentProgress, ResourceRef, ServiceState } from '../api/progress';
import { queryProgress } from './deployments';

export type ReportedServiceState = ServiceState | 'RETRYING';

export interface ServiceStatus {
  state: ReportedServiceState;
  type: string;
  wave: number;
  attempt: number | null;
  last_failure: string | null;
  started_at: string | null;
  ended_at: string | null;
  error: string | null;
  outputs: Record<string, string>;
  resources: ResourceRef[];
}

export interface DeploymentStatus {
  id: string;
  name: string;
  environment: string;
  phase: DeploymentPhase;
  workflow_id: string;
  started_at: string;
  ended_at: string | null;
  error: string | null;
  waves: string[][];
  services: Record<string, ServiceStatus>;
  /** Where each service's previous state is stored (what a rollback restores). */
  rollback_manifest: string | null;
  /** Where the deployment record (kept after Temporal's retention) is stored, once it ended. */
  record: string | null;
  rollback: { state: string; trigger: string; reason: string; order: string[]; blocked: BlockedCompensation[] } | null;
  orphans: DeploymentProgress['orphans'];
  /** The live inventory could not be checked: orphans are unknown. */
  orphan_check_error: string | null;
  retained: DeploymentProgress['retained'];
  requests: DeploymentProgress['requests'];
  /** rollback_strategy manual, after a failure: waiting for `tugboat rollback` or `tugboat accept`. */
  awaiting_decision: boolean;
}

export async function deploymentStatus(client: Client, handle: WorkflowHandle): Promise<DeploymentStatus> {
  const progress = await queryProgress(handle);
  const services: Record<string, ServiceStatus> = {};
  await Promise.all(
    Object.values(progress.services).map(async (s) => {
      const attempt = s.state === 'RUNNING' && s.workflowId ? await currentAttempt(client, s.workflowId) : null;
      const retrying = attempt !== null && attempt.attempt > 1;
      services[s.name] = {
        state: retrying ? 'RETRYING' : s.state,
        type: s.type,
        wave: s.wave,
        attempt: attempt?.attempt ?? null,
        last_failure: attempt?.lastFailure ?? null,
        started_at: s.startedAt ?? null,
        ended_at: s.endedAt ?? null,
        // A skip explains itself; a failure leads with the type the executor classified.
        error: s.error ? (s.error.type === 'Skipped' ? s.error.message : `${s.error.type}: ${s.error.message}`) : null,
        outputs: s.outputs,
        resources: s.resources,
      };
    }),
  );
  return toStatus(handle.workflowId, progress, services);
}

function toStatus(workflowId: string, p: DeploymentProgress, services: Record<string, ServiceStatus>): DeploymentStatus {
  const ordered: Record<string, ServiceStatus> = {};
  for (const wave of p.waves) for (const name of wave) ordered[name] = services[name];
  return {
    id: p.deploymentId,
    name: p.name,
    environment: p.environment,
    phase: p.phase,
    workflow_id: workflowId,
    started_at: p.startedAt,
    ended_at: p.endedAt ?? null,
    error: p.error ?? null,
    waves: p.waves,
    services: ordered,
    rollback_manifest: p.rollbackManifest ?? null,
    record: p.record ?? null,
    rollback: p.rollback ?? null,
    orphans: p.orphans,
    orphan_check_error: p.orphanCheckError ?? null,
    retained: p.retained,
    requests: p.requests,
    awaiting_decision: p.awaitingDecision === true,
  };
}

/** The running child's pending activity: which attempt it is on and why the last one failed. */
async function currentAttempt(
  client: Client,
  childWorkflowId: string,
): Promise<{ attempt: number; lastFailure: string | null } | null> {
  try {
    const { raw } = await client.workflow.getHandle(childWorkflowId).describe();
    const pending = raw.pendingActivities?.[0];
    if (!pending) return null;
    return { attempt: pending.attempt ?? 1, lastFailure: pending.lastFailure?.message ?? null };
  } catch {
    return null;
  }
}
