/**
 * serviceWorkflow: one service's apply → verify, as a child of the deployment. It never undoes
 * itself: a closed child can't be asked to later, so compensation belongs to the parent.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { TugboatActivities as Activities } from '../activities';
import {
  FailureTypes,
  idempotencyKey,
  type DeployStep,
  type ServiceSteps,
  type ServiceWorkflowInput,
  type ServiceWorkflowResult,
} from '../api/workflow-types';
import { stepActivityOptions } from './activity-options';

export async function serviceWorkflow(input: ServiceWorkflowInput): Promise<ServiceWorkflowResult> {
  const { deploymentId, service, deployment } = input;
  const label = service.version ? `${service.name}@${service.version}` : service.name;
  const step = (name: DeployStep) =>
    proxyActivities<Activities>(stepActivityOptions(service, name, `${name} ${label}`, input.taskQueue));
  const steps: ServiceSteps = {};

  const applied = await step('apply').applyService({
    deploymentId,
    service,
    idempotencyKey: idempotencyKey(deploymentId, service.name, 'apply'),
    deployment,
  });
  if (applied.attempts) steps.apply = applied.attempts;
  const health = await step('verify').verifyService({
    deploymentId,
    service,
    idempotencyKey: idempotencyKey(deploymentId, service.name, 'verify'),
    deployment,
  });
  if (health.attempts) steps.verify = health.attempts;
  if (!health.healthy) {
    throw ApplicationFailure.create({
      type: FailureTypes.unhealthy,
      message: `${service.name} is unhealthy after apply: ${health.detail ?? 'no detail'}`,
      nonRetryable: true,
      details: [{ steps }],
    });
  }
  return {
    version: applied.version,
    outputs: applied.outputs,
    resources: applied.resources,
    healthy: true,
    healthDetail: health.detail,
    ...(applied.outcome === 'unchanged' ? { unchanged: true } : {}),
    steps,
  };
}
