/**
 * Starting and finding deployments: what the CLI (and anyone embedding Tugboat) calls.
 */
import { type Client, WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { progressQuery } from '../api/messages';
import type { DeploymentProgress } from '../api/progress';
import { TUGBOAT_DEPLOYMENT, TUGBOAT_ENVIRONMENT, TUGBOAT_PHASE } from '../api/search-attributes';
import type { Manifest } from '../manifest/schema';
import { deploymentWorkflow } from '../workflows';
import { DEPLOYMENT_ID_PATTERN, environmentWorkflowId, newDeploymentId } from './deployment-id';
import { DeploymentNotFoundError, EnvironmentLockedError } from './errors';

export interface StartedDeployment {
  deploymentId: string;
  workflowId: string;
  runId: string;
  handle: WorkflowHandle<typeof deploymentWorkflow>;
}

export async function startDeployment(
  client: Client,
  manifest: Manifest,
  opts: { taskQueue: string; source?: string; requestedBy?: string; deploymentId?: string },
): Promise<StartedDeployment> {
  const { name, environment } = manifest.deployment;
  const workflowId = environmentWorkflowId(name, environment);
  const deploymentId = opts.deploymentId ?? newDeploymentId();
  try {
    const handle = await client.workflow.start(deploymentWorkflow, {
      workflowId,
      taskQueue: opts.taskQueue,
      args: [{ deploymentId, manifest, source: opts.source, requestedBy: opts.requestedBy }],
      // The workflow ID is the environment lock: refuse while one runs, allow after it closed.
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      typedSearchAttributes: [
        { key: TUGBOAT_DEPLOYMENT, value: deploymentId },
        { key: TUGBOAT_ENVIRONMENT, value: environment },
        { key: TUGBOAT_PHASE, value: 'VALIDATING' },
      ],
      staticSummary: `Deploy ${name} to ${environment} (${manifest.deployment.services.length} services)`,
      staticDetails: `Deployment ${deploymentId}${opts.source ? ` from ${opts.source}` : ''}`,
    });
    return { deploymentId, workflowId, runId: handle.firstExecutionRunId, handle };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new EnvironmentLockedError(workflowId, await runningDeploymentId(client, workflowId));
    }
    throw err;
  }
}

async function runningDeploymentId(client: Client, workflowId: string): Promise<string | undefined> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    return description.typedSearchAttributes.get(TUGBOAT_DEPLOYMENT);
  } catch {
    return undefined;
  }
}

/** A deployment ID (dep-…) or <name>/<environment> (its latest run). */
export async function findDeployment(client: Client, ref: string): Promise<WorkflowHandle<typeof deploymentWorkflow>> {
  const trimmed = ref.trim();
  if (DEPLOYMENT_ID_PATTERN.test(trimmed)) {
    for await (const wf of client.workflow.list({ query: `${TUGBOAT_DEPLOYMENT.name} = '${trimmed}'` })) {
      return client.workflow.getHandle(wf.workflowId, wf.runId);
    }
    throw new DeploymentNotFoundError(ref);
  }
  const [name, environment, ...rest] = trimmed.split('/');
  if (!name || !environment || rest.length > 0) throw new DeploymentNotFoundError(ref);
  const handle = client.workflow.getHandle<typeof deploymentWorkflow>(environmentWorkflowId(name, environment));
  try {
    await handle.describe();
  } catch {
    throw new DeploymentNotFoundError(ref);
  }
  return handle;
}

export async function queryProgress(handle: WorkflowHandle): Promise<DeploymentProgress> {
  return handle.query(progressQuery);
}
