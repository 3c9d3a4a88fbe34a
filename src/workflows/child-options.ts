/**
 * Options of a service's child workflow, derived from the manifest. Pure and checked up front,
 * like the activity options: summaries are cut to what the server accepts, and an ID past its
 * limit becomes a non-retryable failure instead of a workflow task failing forever.
 */
import {
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  type ChildWorkflowOptions,
} from '@temporalio/workflow';
import { MAX_DETAILS_BYTES, MAX_ID_LENGTH, MAX_SUMMARY_BYTES, fitUtf8 } from '../api/temporal-limits';
import type { DeploymentSpec, ServiceSpec } from '../manifest/schema';
import { invalidOption } from './activity-options';

export function childWorkflowOptions(
  deploymentId: string,
  service: ServiceSpec,
  deployment: Pick<DeploymentSpec, 'name' | 'environment'>,
): Pick<ChildWorkflowOptions, 'staticSummary' | 'staticDetails' | 'cancellationType' | 'parentClosePolicy'> & {
  workflowId: string;
} {
  const workflowId = `${deploymentId}.${service.name}`;
  if (workflowId.length > MAX_ID_LENGTH) {
    throw invalidOption(`deployment.services[name=${service.name}].name`, `the child workflow ID is longer than ${MAX_ID_LENGTH} characters`);
  }
  return {
    workflowId,
    staticSummary: fitUtf8(`${service.type} ${service.name}${service.version ? `@${service.version}` : ''}`, MAX_SUMMARY_BYTES),
    staticDetails: fitUtf8(`Deployment ${deploymentId} of ${deployment.name} to ${deployment.environment}`, MAX_DETAILS_BYTES),
    cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
  };
}
