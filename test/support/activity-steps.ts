/**
 * Which worker ran which activity: read from a workflow's history (each ActivityTaskStarted event
 * carries the identity of the worker that took it, `<pid>@<host>` by default), so a test can tell
 * that a step ran on the process it should have.
 */
import type { WorkflowClient } from '@temporalio/client';

export interface ActivityStep {
  type: string;
  taskQueue: string;
  identity: string;
}

export async function activitySteps(client: WorkflowClient, workflowId: string): Promise<ActivityStep[]> {
  const { events } = await client.getHandle(workflowId).fetchHistory();
  const scheduled = new Map<string, { type: string; taskQueue: string }>();
  const steps: ActivityStep[] = [];
  for (const e of events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), { type: s.activityType?.name ?? '', taskQueue: s.taskQueue?.name ?? '' });
    const started = e.activityTaskStartedEventAttributes;
    if (started) steps.push({ ...scheduled.get(String(started.scheduledEventId))!, identity: started.identity ?? '' });
  }
  return steps;
}

/** Matches the identity of a worker process started by the test. */
export const identityOf = (pid: number) => new RegExp(`^${pid}@`);
