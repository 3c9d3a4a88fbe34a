/**
 * ingressTaskWorkflow: one task taken from Redis by `tugboat ingress`, from the deployment's start
 * to its published result. Started by the ingress under `ingress-<task id>` with REJECT_DUPLICATE,
 * so a task delivered twice (or re-driven after an ingress died) deploys once.
 *
 * It starts the deployment as a child under the environment lock's ID, exactly as the client
 * would (deploymentStartOptions), waits for it, aggregates its result (completed / partial /
 * failed) and hands it to `publishTaskResult`, which runs on the ingress's own task queue: if no
 * ingress runs when the deployment ends, the result is published once one comes back. Every end
 * of the deployment — a locked environment, a failure, a rollback, a cancellation — becomes a
 * `failed` result, never a failed workflow: the producer always hears back. Cancelling this
 * workflow itself (not the deployment: that is `tugboat cancel`) publishes a `failed` result saying
 * the task was cancelled and naming the deployment, which may still be running, and ends cancelled.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ChildWorkflowCancellationType,
  ChildWorkflowFailure,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  startChild,
} from '@temporalio/workflow';
import type { IngressActivities } from '../activities/publish-task-result';
import type { IngressResult } from '../api/ingress';
import type { DeploymentResult } from '../api/progress';
import { deploymentStartOptions } from '../api/deployment-start';
import type { DeploymentInput } from '../api/workflow-types';
import { cancelledTaskResult, failedResult, resultOfDeployment, type DeploymentTarget } from '../ingress/result';
import { ActivityCancellation } from './activity-options';
import { deploymentWorkflow } from './deployment';
import { describeFailure } from './failures';

export interface IngressTaskInput {
  taskId: string;
  /** What the client would start deploymentWorkflow with: validated manifest, decided plan. */
  deployment: DeploymentInput;
  /** Where the result goes, decided by the ingress that took the task. */
  publish: { resultKey: string; channel: string };
  /**
   * The task queue of the result publisher of the ingress that took the task (it holds the Redis
   * connection the result belongs in).
   */
  publisherQueue: string;
}

export async function ingressTaskWorkflow(input: IngressTaskInput): Promise<IngressResult> {
  let result: IngressResult;
  let cancelled: CancelledFailure | undefined;
  try {
    result = await runDeployment(input);
  } catch (err) {
    // Only this workflow's own cancellation gets here (runDeployment turns every end of the
    // deployment into a result); the deployment, abandoned, goes on under its own lock.
    if (!(err instanceof CancelledFailure)) throw err;
    cancelled = err;
    const { workflowId } = deploymentStartOptions(input.deployment);
    result = cancelledTaskResult(input.taskId, { deploymentId: input.deployment.deploymentId, workflowId }, now());
  }
  const { publishTaskResult } = proxyActivities<IngressActivities>({
    taskQueue: input.publisherQueue,
    summary: `publish result of task ${input.taskId} (${result.status})`,
    startToCloseTimeout: '30 seconds',
    // Idempotent (SET + PUBLISH), and the publisher only runs in an ingress: retry until one answers.
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
    cancellationType: ActivityCancellation.wait,
  });
  await CancellationScope.nonCancellable(() => publishTaskResult({ ...input.publish, result }));
  if (cancelled) throw cancelled;
  return result;
}

async function runDeployment(input: IngressTaskInput): Promise<IngressResult> {
  const { taskId, deployment } = input;
  const { name, environment } = deployment.manifest.deployment;
  const options = deploymentStartOptions(deployment);
  const target: DeploymentTarget = { name, environment, workflowId: options.workflowId };
  const ids = { deploymentId: deployment.deploymentId, workflowId: options.workflowId };
  let child;
  try {
    child = await startChild(deploymentWorkflow, {
      ...options,
      args: [deployment],
      // The deployment is the environment's, not the task's: it outlives this workflow, and is
      // stopped through its own controls (`tugboat cancel`), never by cancelling the task.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      cancellationType: ChildWorkflowCancellationType.ABANDON,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return failedResult(
        taskId,
        `environment ${name}/${environment} is locked: another deployment (workflow ${options.workflowId}) is running; nothing was started. ` +
          `Push the task again under a new id once it has finished (\`tugboat status ${name}/${environment}\`)`,
        now(),
        ids,
      );
    }
    if (err instanceof CancelledFailure) throw err;
    return failedResult(taskId, `the deployment could not be started: ${describeFailure(err).message}`, now(), ids);
  }
  try {
    return resultOfDeployment(taskId, target, await child.result(), now());
  } catch (err) {
    if (!(err instanceof ChildWorkflowFailure)) throw err;
    // A failed or cancelled deployment carries its result as the failure's first detail.
    const ended = deploymentResultIn(err.cause);
    if (ended) return resultOfDeployment(taskId, target, { ...ended, error: ended.error ?? describeFailure(err).message }, now());
    // This workflow was cancelled: the abandoned deployment has not ended, whatever child.result()
    // says (cancelling the parent settles an abandoned child's result at once, with a cancellation).
    if (isCancellation(err) && CancellationScope.current().consideredCancelled) {
      throw err.cause;
    }
    return failedResult(taskId, `deployment ${deployment.deploymentId} ended without a result: ${describeFailure(err).message}`, now(), ids);
  }
}

function deploymentResultIn(failure: unknown): DeploymentResult | undefined {
  if (!(failure instanceof ApplicationFailure || failure instanceof CancelledFailure)) return undefined;
  const detail: unknown = failure.details?.[0];
  const looksLikeResult = typeof detail === 'object' && detail !== null && 'phase' in detail && 'services' in detail;
  return looksLikeResult ? (detail as DeploymentResult) : undefined;
}

/** The workflow clock (deterministic on replay). */
function now(): string {
  return new Date().toISOString();
}
