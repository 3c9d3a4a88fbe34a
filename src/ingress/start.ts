/**
 * Starting a task's workflow: `ingress-<task id>` with REJECT_DUPLICATE, so a task delivered twice,
 * or re-driven after an ingress died between start and LREM, starts one deployment. The answer is
 * what the ingress needs to decide whether it may remove the task from the processing list.
 */
import { isGrpcServiceError, WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { serverReason } from '../client/search-attributes-errors';
import { newDeploymentId } from '../client/deployment-id';
import { deploymentStartOptions } from '../api/deployment-start';
import { decidedPart } from '../plan';
import { ingressWorkflowId } from '../api/workflow-ids';
import type { IngressTask } from '../api/ingress';
import { ingressTaskWorkflow } from '../workflows';
import type { TaskWorkflowMemo } from './existing';
import type { PreparedTask } from './prepare';
import type { ResultTarget } from './publish';

/** started: this call started it; duplicate: a workflow for this task ID exists (running or closed); refused: never will. */
export type StartOutcome =
  | { kind: 'started'; workflowId: string; deploymentId: string }
  | { kind: 'duplicate'; workflowId: string }
  | { kind: 'refused'; reason: string };

// gRPC status (wire protocol): the request itself is wrong, retrying sends the same wrong request.
const INVALID_ARGUMENT = 3;

export async function startTaskWorkflow(
  client: Client,
  opts: {
    taskQueue: string;
    /** Where this ingress's result publisher polls (src/ingress/publisher-queue.ts). */
    publisherQueue: string;
    task: IngressTask;
    prepared: Extract<PreparedTask, { ok: true }>;
    publish: ResultTarget;
    now?: Date;
  },
): Promise<StartOutcome> {
  const { task, prepared } = opts;
  const workflowId = ingressWorkflowId(task.id);
  // Time-sortable like every deployment ID, its suffix the task ID's hash. Only the first start
  // counts (a re-drive computes another, but its start is rejected as a duplicate).
  const deploymentId = newDeploymentId(opts.now ?? new Date(), task.id);
  const { name, environment } = prepared.manifest.deployment;
  const source = prepared.source ?? `redis task ${task.id}`;
  // Read back by a later delivery of the same ID (./existing.ts), to name the deployment it started.
  const memo: TaskWorkflowMemo = { deploymentId, deploymentWorkflowId: deploymentStartOptions({ deploymentId, manifest: prepared.manifest, source }).workflowId };
  try {
    await client.workflow.start(ingressTaskWorkflow, {
      workflowId,
      taskQueue: opts.taskQueue,
      args: [
        {
          taskId: task.id,
          deployment: {
            deploymentId,
            manifest: prepared.manifest,
            plan: decidedPart(prepared.plan),
            requestedBy: task.requested_by,
            source,
            baseDir: prepared.baseDir,
          },
          publish: opts.publish,
          publisherQueue: opts.publisherQueue,
        },
      ],
      memo: { ...memo },
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      staticSummary: `Redis task ${task.id}: deploy ${name} to ${environment}`,
      staticDetails: `Deployment ${deploymentId}${task.requested_by ? ` requested by ${task.requested_by}` : ''}; result at ${opts.publish.resultKey}`,
    });
    return { kind: 'started', workflowId, deploymentId };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { kind: 'duplicate', workflowId };
    if (refusedForGood(err)) return { kind: 'refused', reason: `Temporal refused to start workflow ${workflowId}: ${serverReason(err)}` };
    throw err; // unavailable, timed out…: the task stays in processing and is tried again
  }
}

function refusedForGood(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e)) return e.code === INVALID_ARGUMENT;
  }
  return false;
}
