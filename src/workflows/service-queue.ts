/**
 * Where a service's steps run: its specialty queue under the deployment's own task queue (see
 * src/api/task-queues.ts). Workflows stay on the main queue; only the service's activities move.
 */
import { workflowInfo } from '@temporalio/workflow';
import { serviceSpecialty, taskQueueName } from '../api/task-queues';
import type { DeploymentSpec, ServiceSpec } from '../manifest/schema';

/** patched() ID: compensations run on the service's specialty queue (runs before it compensated on the main queue). */
export const PATCH_SPECIALTY_QUEUES = 'specialty-task-queues-v1';

export function serviceTaskQueue(service: ServiceSpec, deployment: Pick<DeploymentSpec, 'task_queues'>): string {
  return taskQueueName(workflowInfo().taskQueue, serviceSpecialty(service, deployment));
}
