/**
 * The no-poller warnings of a running deployment, for `status`: its own task queue (from describe)
 * and its manifest (from its start input) say which queues its unfinished services wait on.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { noPollerWarnings, type QueueWarning } from '../client/queue-warnings';
import type { DeploymentStatus } from '../client/status';
import { startedPlan } from './live-view/started-plan';

export async function deploymentQueueWarnings(
  client: Client,
  handle: WorkflowHandle,
  status: Pick<DeploymentStatus, 'ended_at' | 'services'>,
): Promise<QueueWarning[]> {
  if (status.ended_at) return [];
  try {
    const [{ taskQueue }, started] = await Promise.all([handle.describe(), startedPlan(client, handle)]);
    if (!started) return [];
    return await noPollerWarnings(client, { mainQueue: taskQueue, manifest: started.manifest, states: status.services });
  } catch {
    // A warning is a courtesy: a server that cannot be asked must not fail `status`.
    return [];
  }
}
