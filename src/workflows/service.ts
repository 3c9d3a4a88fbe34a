/**
 * serviceWorkflow: one service's apply → verify, as a child of the deployment. It never undoes
 * itself: a closed child can't be asked to later, so compensation belongs to the parent.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { TugboatActivities as Activities } from '../activities';
import {
  FailureTypes,
  idempotencyKey,
  type ServiceWorkflowInput,
  type ServiceWorkflowResult,
} from '../api/workflow-types';
import { serviceActivityOptions } from './activity-options';


export async function serviceWorkflow(input: ServiceWorkflowInput): Promise<ServiceWorkflowResult> {
  const { deploymentId, service } = input;
  const label = service.version ? `${service.name}@${service.version}` : service.name;
  const step = (summary: string) => proxyActivities<Activities>(serviceActivityOptions(service, summary));

  const applied = await step(`apply ${label}`).applyService({
    deploymentId,
    service,
    idempotencyKey: idempotencyKey(deploymentId, service.name, 'apply'),
  });
  const health = await step(`verify ${label}`).verifyService({
    deploymentId,
    service,
    idempotencyKey: idempotencyKey(deploymentId, service.name, 'verify'),
  });
  if (!health.healthy) {
    throw ApplicationFailure.nonRetryable(
      `${service.name} is unhealthy after apply: ${health.detail ?? 'no detail'}`,
      FailureTypes.unhealthy,
    );
  }
  return {
    version: applied.version,
    outputs: applied.outputs,
    resources: applied.resources,
    healthy: true,
    healthDetail: health.detail,
  };
}
