/**
 * Operator requests from the CLI: updates, so a request that makes no sense now is refused with
 * the workflow's reason. An update needs a worker to answer; rather than hang when none polls,
 * it gives up after a deadline and says which task queue has no worker and how to start one.
 */
import {
  type Client,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type WorkflowHandle,
} from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { RequestAccepted } from '../api/messages';

export const DEFAULT_UPDATE_DEADLINE_MS = 15_000;

/** The workflow refused the request; the message is its reason. */
export class RequestRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestRefusedError';
  }
}

/** Nobody answered in time; the message says what to check. */
export class NoWorkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoWorkerError';
  }
}

/**
 * Send one operator request (any update of src/api/messages.ts: cancelUpdate, pauseUpdate,
 * approveUpdate, continueRollbackUpdate, …) and wait for the workflow's answer, at most
 * `deadlineMs`. A validator's refusal is a RequestRefusedError carrying its reason; no answer in
 * time is a NoWorkerError naming the task queue and how to start a worker on it.
 */
export async function sendRequest<Input>(
  client: Client,
  handle: WorkflowHandle,
  update: UpdateDefinition<RequestAccepted, [Input]>,
  input: Input,
  deadlineMs = DEFAULT_UPDATE_DEADLINE_MS,
): Promise<RequestAccepted> {
  return withUpdateDeadline(client, handle, deadlineMs, () => handle.executeUpdate(update, { args: [input] }));
}

async function withUpdateDeadline<T>(client: Client, handle: WorkflowHandle, deadlineMs: number, call: () => Promise<T>): Promise<T> {
  try {
    return await client.withDeadline(Date.now() + deadlineMs, call);
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      throw new RequestRefusedError(err.cause?.message ?? err.message);
    }
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isDeadlineExceeded(err)) {
      throw new NoWorkerError(await noAnswerHint(client, handle, deadlineMs));
    }
    throw err;
  }
}

function isDeadlineExceeded(err: unknown): boolean {
  return (err as { code?: number })?.code === 4 || /deadline/i.test((err as Error)?.message ?? '');
}

/** Whether any worker polls the task queue for workflow tasks (Temporal's pollers are the worker registry). */
export async function hasWorkers(client: Client, taskQueue: string): Promise<boolean> {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue },
  });
  return (pollers ?? []).length > 0;
}

export function startWorkerHint(taskQueue: string): string {
  return `Start one with: TUGBOAT_TASK_QUEUE=${taskQueue} npx tugboat worker`;
}

async function noAnswerHint(client: Client, handle: WorkflowHandle, deadlineMs: number): Promise<string> {
  const seconds = Math.round(deadlineMs / 1000);
  try {
    const { taskQueue } = await handle.describe();
    if (!(await hasWorkers(client, taskQueue))) {
      return (
        `no answer in ${seconds}s: no worker polls task queue "${taskQueue}". ` +
        `${startWorkerHint(taskQueue)}; nothing was accepted, check with tugboat status`
      );
    }
    return `no answer in ${seconds}s from the workers on task queue "${taskQueue}"; they may be overloaded. Try again.`;
  } catch {
    return `no answer in ${seconds}s; is a worker running (npx tugboat worker)?`;
  }
}
