/**
 * The client's side of the preflight: run preflightWorkflow on the deployment's task queue and
 * wait, but not forever — with no worker polling, say which queue has none and how to start one.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { hasWorkers, NoWorkerError, startWorkerHint } from './operations';
import type { PreflightIssue } from '../activities/preflight';
import type { DeploymentScope } from '../api/workflow-types';
import type { Manifest } from '../manifest/schema';
import { preflightWorkflow } from '../workflows';

/** A worker that polls answers in well under a second; this is for a busy one. */
export const PREFLIGHT_DEADLINE_MS = 60_000;

export class PreflightFailedError extends Error {
  constructor(readonly issues: PreflightIssue[]) {
    super(
      `preflight found ${issues.length} problem${issues.length === 1 ? '' : 's'}; nothing was started:\n` +
        issues.map((i) => `  ${i.path}: ${i.message}${i.fix ? `\n      fix: ${i.fix}` : ''}`).join('\n'),
    );
    this.name = 'PreflightFailedError';
  }
}

function noWorker(taskQueue: string, why: string): NoWorkerError {
  return new NoWorkerError(
    `${why}, so nothing was started.\n${startWorkerHint(taskQueue)}   (or use \`tugboat up\`, which runs its own)`,
  );
}

export async function preflightDeployment(
  client: Client,
  manifest: Manifest,
  opts: { taskQueue: string; deploymentId: string; baseDir?: string; deadlineMs?: number },
): Promise<void> {
  const { name, environment, services } = manifest.deployment;
  const deployment: DeploymentScope = { name, environment, baseDir: opts.baseDir };
  const deadlineMs = opts.deadlineMs ?? PREFLIGHT_DEADLINE_MS;
  // No poller at all: say so now rather than after the deadline.
  if (!(await hasWorkers(client, opts.taskQueue).catch(() => true))) {
    throw noWorker(opts.taskQueue, `no worker polls task queue "${opts.taskQueue}"`);
  }
  let issues: PreflightIssue[];
  try {
    issues = await client.workflow.execute(preflightWorkflow, {
      workflowId: `preflight-${opts.deploymentId}-${randomBytes(3).toString('hex')}`,
      taskQueue: opts.taskQueue,
      args: [{ deploymentId: opts.deploymentId, deployment, services }],
      workflowExecutionTimeout: deadlineMs,
      staticSummary: `Preflight of ${name} to ${environment}`,
    });
  } catch (err) {
    if (err instanceof WorkflowFailedError && /timed? ?out/i.test(`${err.message} ${String(err.cause)}`)) {
      throw noWorker(opts.taskQueue, `no worker on task queue "${opts.taskQueue}" finished the preflight within ${Math.round(deadlineMs / 1000)} s`);
    }
    throw err;
  }
  if (issues.length > 0) throw new PreflightFailedError(issues);
}
