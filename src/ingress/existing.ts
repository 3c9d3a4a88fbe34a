/**
 * The workflow a task ID already has (`ingress-<id>`), for a task delivered again: whether it still
 * runs, which deployment it started (its memo), and, once closed, the result it ended with, so a
 * result key that is gone (deleted, evicted) can be published again. A redelivery never starts a
 * second deployment and never overwrites the first one's result.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { IngressResult } from '../api/ingress';
import { ingressWorkflowId } from '../api/workflow-ids';
import { cancelledTaskResult, failedResult } from './result';

/** Set when the ingress starts a task's workflow (./start.ts). */
export interface TaskWorkflowMemo {
  deploymentId: string;
  /** The deployment's own workflow ID: the environment lock, `deploy-<name>.<environment>`. */
  deploymentWorkflowId: string;
}

export interface ExistingTask {
  workflowId: string;
  runId: string;
  /** RUNNING, COMPLETED, CANCELLED, FAILED, TERMINATED, TIMED_OUT… */
  status: string;
  /** Absent for workflows started before the memo was set. */
  deployment?: TaskWorkflowMemo;
}

/** The task's workflow, or undefined when the task ID has none. */
export async function findTaskWorkflow(client: Client, taskId: string): Promise<ExistingTask | undefined> {
  const workflowId = ingressWorkflowId(taskId);
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    return { workflowId, runId: description.runId, status: description.status.name, deployment: memoOf(description.memo) };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

export function isClosed(existing: ExistingTask): boolean {
  return existing.status !== 'RUNNING';
}

/**
 * The result of a closed task workflow: what it returned (and published) when it completed; when
 * it ended otherwise (cancelled, terminated, timed out) a `failed` result saying so, since the
 * producer must hear back and nothing says how the deployment ended.
 */
export async function resultOfClosedTask(client: Client, taskId: string, existing: ExistingTask, now = new Date()): Promise<IngressResult> {
  if (existing.status === 'COMPLETED') return client.workflow.getHandle<() => Promise<IngressResult>>(existing.workflowId, existing.runId).result();
  const finishedAt = now.toISOString();
  const { deployment } = existing;
  if (existing.status === 'CANCELLED' && deployment) {
    return cancelledTaskResult(taskId, { deploymentId: deployment.deploymentId, workflowId: deployment.deploymentWorkflowId }, finishedAt);
  }
  const where = deployment
    ? `; deployment ${deployment.deploymentId} (workflow ${deployment.deploymentWorkflowId}) may have run: see \`tugboat status ${deployment.deploymentId}\``
    : '';
  return failedResult(
    taskId,
    `the task's workflow ${existing.workflowId} ended ${existing.status} without a result${where}`,
    finishedAt,
    deployment ? { deploymentId: deployment.deploymentId, workflowId: deployment.deploymentWorkflowId } : {},
  );
}

function memoOf(memo: Record<string, unknown> | undefined): TaskWorkflowMemo | undefined {
  const { deploymentId, deploymentWorkflowId } = memo ?? {};
  return typeof deploymentId === 'string' && typeof deploymentWorkflowId === 'string' ? { deploymentId, deploymentWorkflowId } : undefined;
}
