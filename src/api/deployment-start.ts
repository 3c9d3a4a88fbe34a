/**
 * How a deployment workflow is started, whoever starts it: the client (`tugboat deploy`, `up`) or
 * the Redis ingress's task workflow (as its child). Pure: both Node and workflow code import it,
 * so a deployment started through Redis is locked, listed and summarised like any other.
 */
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { TUGBOAT_DEPLOYMENT, TUGBOAT_ENVIRONMENT, TUGBOAT_PHASE } from './search-attributes';
import type { DeploymentInput } from './workflow-types';
import { environmentWorkflowId } from './workflow-ids';

export function deploymentStartOptions(input: Pick<DeploymentInput, 'deploymentId' | 'manifest' | 'source'>) {
  const { name, environment, services } = input.manifest.deployment;
  return {
    // The workflow ID is the environment lock: refused while one runs, allowed after it closed.
    workflowId: environmentWorkflowId(name, environment),
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: [
      { key: TUGBOAT_DEPLOYMENT, value: input.deploymentId },
      { key: TUGBOAT_ENVIRONMENT, value: environment },
      { key: TUGBOAT_PHASE, value: 'VALIDATING' },
    ],
    staticSummary: `Deploy ${name} to ${environment} (${services.length} services)`,
    staticDetails: `Deployment ${input.deploymentId}${input.source ? ` from ${input.source}` : ''}`,
  };
}
