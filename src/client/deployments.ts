/**
 * Starting and finding deployments: what the CLI (and anyone embedding Tugboat) calls.
 */
import path from 'node:path';
import { decidedPart, planOrThrow, type Plan } from '../plan';
import { checkPayloadSizes } from './payload-size';
import { preflightDeployment } from './preflight';
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { deploymentStartOptions } from '../api/deployment-start';
import { progressQuery } from '../api/messages';
import type { DeploymentProgress } from '../api/progress';
import { TUGBOAT_DEPLOYMENT, TUGBOAT_ENVIRONMENT } from '../api/search-attributes';
import type { Manifest } from '../manifest/schema';
import { deploymentWorkflow } from '../workflows';
import { environmentWorkflowId, legacyEnvironmentWorkflowId, newDeploymentId, parseDeploymentRef } from './deployment-id';
import { DeploymentNotFoundError, EnvironmentLockedError } from './errors';
import { SearchAttributesMissingError, serverReason, unknownSearchAttributeIn } from './search-attributes-errors';
import { findMissingSearchAttributes } from './search-attributes-setup';

export interface StartedDeployment {
  deploymentId: string;
  workflowId: string;
  runId: string;
  handle: WorkflowHandle<typeof deploymentWorkflow>;
}

export async function startDeployment(
  client: Client,
  manifest: Manifest,
  /** `plan`: the manifest's plan when the caller already made it (the CLI shows it), else planned here. */
  /** `preflight: false` skips the worker-side check (it is on by default: PreflightFailedError, NoWorkerError). */
  opts: {
    taskQueue: string;
    source?: string;
    requestedBy?: string;
    deploymentId?: string;
    plan?: Plan;
    preflight?: boolean;
    /** How long to wait for a worker to answer the preflight (default PREFLIGHT_DEADLINE_MS). */
    preflightDeadlineMs?: number;
  },
): Promise<StartedDeployment> {
  const { name, environment } = manifest.deployment;
  const workflowId = environmentWorkflowId(name, environment);
  const deploymentId = opts.deploymentId ?? newDeploymentId();
  // Config paths (modules, scripts) are relative to the manifest file, wherever the worker runs.
  const baseDir = opts.source ? path.dirname(path.resolve(opts.source)) : undefined;
  // Decided once, here, and recorded in the input: the workflow never re-validates or re-plans.
  const input = { deploymentId, manifest, plan: decidedPart(opts.plan ?? planOrThrow(manifest)), source: opts.source, requestedBy: opts.requestedBy, baseDir };
  checkPayloadSizes(input, manifest);
  await refuseIfLockedUnderLegacyId(client, name, environment);
  if (opts.preflight !== false) {
    await preflightDeployment(client, manifest, { taskQueue: opts.taskQueue, deploymentId, baseDir, deadlineMs: opts.preflightDeadlineMs });
  }
  try {
    const handle = await client.workflow.start(deploymentWorkflow, {
      ...deploymentStartOptions(input),
      taskQueue: opts.taskQueue,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    });
    return { deploymentId, workflowId, runId: handle.firstExecutionRunId, handle };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new EnvironmentLockedError(workflowId, await runningDeploymentId(client, workflowId));
    }
    const unknown = unknownSearchAttributeIn(err);
    if (unknown) throw await searchAttributesMissing(client, unknown, err);
    throw err;
  }
}

/** A cluster nobody ran `tugboat setup` on: name every missing attribute (the server names only one) and the fix. */
async function searchAttributesMissing(client: Client, unknown: string, err: unknown): Promise<SearchAttributesMissingError> {
  const { namespace } = client.options;
  const missing = await findMissingSearchAttributes(client.connection, namespace).then(
    (found) => (found.missing.length > 0 ? found.missing : [unknown]),
    () => [unknown],
  );
  return new SearchAttributesMissingError(namespace, missing, `the server refused to start the deployment: ${serverReason(err)}`, true);
}

/**
 * While deployments started by an older Tugboat (under `deploy-<name>-<environment>`) may still
 * run, the new ID alone would not lock them out: a running old-ID deployment of this very name and
 * environment holds the lock too. One describe per deploy; gone once no old-ID run is left.
 */
async function refuseIfLockedUnderLegacyId(client: Client, name: string, environment: string): Promise<void> {
  const legacy = client.workflow.getHandle(legacyEnvironmentWorkflowId(name, environment));
  const description = await describeIfExists(legacy).catch(() => undefined);
  if (description?.status.name !== 'RUNNING') return;
  if (!(await isDeploymentOf(client, legacy, description, name, environment))) return;
  throw new EnvironmentLockedError(legacy.workflowId, description.typedSearchAttributes.get(TUGBOAT_DEPLOYMENT));
}

/** Only for the lock's message: a describe that fails leaves the ID out rather than the error in. */
async function runningDeploymentId(client: Client, workflowId: string): Promise<string | undefined> {
  const description = await describeIfExists(client.workflow.getHandle(workflowId)).catch(() => undefined);
  return description?.typedSearchAttributes.get(TUGBOAT_DEPLOYMENT);
}

/** A deployment ID (dep-…) or <name>/<environment> (its latest run). */
export async function findDeployment(client: Client, ref: string): Promise<WorkflowHandle<typeof deploymentWorkflow>> {
  const parsed = parseDeploymentRef(ref);
  if (!parsed) throw new DeploymentNotFoundError(ref);
  if ('deploymentId' in parsed) {
    for await (const wf of client.workflow.list({ query: `${TUGBOAT_DEPLOYMENT.name} = '${parsed.deploymentId}'` })) {
      return client.workflow.getHandle(wf.workflowId, wf.runId);
    }
    throw new DeploymentNotFoundError(ref);
  }
  const { name, environment } = parsed;
  const current = client.workflow.getHandle<typeof deploymentWorkflow>(environmentWorkflowId(name, environment));
  if (await describeIfExists(current)) return current;
  // Deployments started before the workflow ID had its dot: found under the old ID, but only if it
  // really is this name and environment — `shop-api/prod` and `shop/api-prod` shared that ID.
  const legacy = client.workflow.getHandle<typeof deploymentWorkflow>(legacyEnvironmentWorkflowId(name, environment));
  const description = await describeIfExists(legacy);
  if (description && (await isDeploymentOf(client, legacy, description, name, environment))) return legacy;
  throw new DeploymentNotFoundError(ref);
}

async function describeIfExists(handle: WorkflowHandle): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/**
 * Whether a workflow found under the old, ambiguous ID `deploy-<name>-<environment>` deploys this
 * name to this environment. Its `TugboatEnvironment` search attribute (set at start) settles it:
 * the ID is fixed, so once its environment suffix is known its name is too. A workflow without the
 * attribute is asked through the progress query; one that cannot answer is not taken.
 */
async function isDeploymentOf(
  client: Client,
  handle: WorkflowHandle,
  description: WorkflowExecutionDescription,
  name: string,
  environment: string,
): Promise<boolean> {
  const recorded = description.typedSearchAttributes.get(TUGBOAT_ENVIRONMENT);
  if (recorded !== undefined) return recorded === environment;
  try {
    const progress = await client.withDeadline(Date.now() + LEGACY_QUERY_DEADLINE_MS, () => queryProgress(handle));
    return progress.name === name && progress.environment === environment;
  } catch {
    return false;
  }
}

/** A query needs a worker: don't let a lookup hang on one that is not there. */
const LEGACY_QUERY_DEADLINE_MS = 5_000;

export async function queryProgress(handle: WorkflowHandle): Promise<DeploymentProgress> {
  return handle.query(progressQuery);
}
