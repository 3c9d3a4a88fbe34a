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

/** How long a task queue may show no poller before the preflight gives up on it. */
const NO_POLLER_GRACE_MS = 5_000;

async function workersAppear(client: Client, taskQueue: string, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    // A server that cannot say (an older one, a permission) gets the benefit of the doubt.
    if (await hasWorkers(client, taskQueue).catch(() => true)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function preflightDeployment(
  client: Client,
  manifest: Manifest,
  opts: { taskQueue: string; deploymentId: string; baseDir?: string; deadlineMs?: number },
): Promise<void> {
  const { name, environment, services } = manifest.deployment;
  const deployment: DeploymentScope = { name, environment, baseDir: opts.baseDir };
  const deadlineMs = opts.deadlineMs ?? PREFLIGHT_DEADLINE_MS;
  // No poller at all: say so within seconds rather than after the deadline. (A worker that has just
  // started, like `up`'s, shows up as a poller once its first poll reaches the server.)
  if (!(await workersAppear(client, opts.taskQueue, NO_POLLER_GRACE_MS))) {
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
