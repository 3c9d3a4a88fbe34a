/**
 * Who polls which task queue: Temporal's pollers are Tugboat's worker registry and heartbeat (no
 * home-made one). DescribeTaskQueue lists, per queue and task type, each worker that polled it
 * recently, when it last did, and the rate limit it asked for. Used by `tugboat workers` and the
 * no-poller warnings of `status` and `up`.
 */
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { DEFAULT_SPECIALTY_BY_EXECUTOR, MAIN_SPECIALTY, taskQueueName } from '../api/task-queues';
import { DEFAULT_TASK_QUEUE } from '../worker/config';

/**
 * A poller older than this is a worker that stopped: a live one polls again as soon as its long
 * poll (about a minute when idle) returns; the server forgets pollers after about 5 minutes.
 */
export const STALE_POLLER_MS = 2 * 60_000;

/** temporal.api.enums.v1.TaskQueueType (numbers: @temporalio/proto is not a dependency of ours). */
const TASK_QUEUE_TYPE = { workflow: 1, activity: 2 } as const;

/**
 * The server reports this rate when the worker set none (maxTaskQueueActivitiesPerSecond unset):
 * effectively unlimited, so not shown.
 */
const UNLIMITED_RATE = 100_000;

export interface PollerView {
  /** The worker's identity (pid@host unless set). */
  identity: string;
  last_access_time: string | null;
  seconds_ago: number | null;
  /** The server-side rate limit this poller asked for (maxTaskQueueActivitiesPerSecond); null: none. */
  rate_per_second: number | null;
  /** Not seen for STALE_POLLER_MS: most likely a worker that stopped. */
  stale: boolean;
}

export interface QueueView {
  specialty: string;
  task_queue: string;
  /** What arrives on it, in words: "workflows; steps of simulated services", "steps of opentofu services". */
  carries: string;
  workflow_pollers: PollerView[];
  activity_pollers: PollerView[];
  /** Whether a live worker polls what this queue carries (workflows on the main queue, steps elsewhere). */
  polled: boolean;
  /** When not polled: the command that starts a worker for it. */
  start_command: string | null;
  /** The server could not be asked (a permission, an older server): polled is unknown. */
  error?: string;
}

/** `tugboat worker --queues infra` (with --task-queue when the main queue is not the default). */
export function startWorkerCommand(mainQueue: string, specialty: string): string {
  const taskQueue = mainQueue === DEFAULT_TASK_QUEUE ? '' : ` --task-queue ${mainQueue}`;
  return `tugboat worker${taskQueue} --queues ${specialty}`;
}

/** What a specialty's queue carries by default: workflows on the main queue, and which executors' steps. */
export function queueCarries(specialty: string): string {
  const executors = Object.entries(DEFAULT_SPECIALTY_BY_EXECUTOR)
    .filter(([, s]) => s === specialty)
    .map(([executor]) => executor);
  const steps = executors.length > 0 ? `steps of ${executors.join(', ')} services` : `steps of services with task_queue: ${specialty}`;
  return specialty === MAIN_SPECIALTY ? `workflows; ${steps}` : steps;
}

export async function describeQueues(
  client: Client,
  mainQueue: string,
  specialties: readonly string[],
  now: number = Date.now(),
): Promise<QueueView[]> {
  return Promise.all([...new Set(specialties)].map((s) => describeQueue(client, mainQueue, s, now)));
}

export async function describeQueue(client: Client, mainQueue: string, specialty: string, now: number = Date.now()): Promise<QueueView> {
  const taskQueue = taskQueueName(mainQueue, specialty);
  const base = { specialty, task_queue: taskQueue, carries: queueCarries(specialty) };
  try {
    const [workflow, activity] = await Promise.all([
      pollersOf(client, taskQueue, TASK_QUEUE_TYPE.workflow, now),
      pollersOf(client, taskQueue, TASK_QUEUE_TYPE.activity, now),
    ]);
    return queueView({ ...base, workflow_pollers: workflow, activity_pollers: activity }, mainQueue);
  } catch (err) {
    return { ...base, workflow_pollers: [], activity_pollers: [], polled: true, start_command: null, error: (err as Error).message };
  }
}

/** Whether it is polled: workflows need a live workflow poller on the main queue, steps an activity poller. */
export function queueView(
  queue: Omit<QueueView, 'polled' | 'start_command' | 'error'>,
  mainQueue: string,
): QueueView {
  const needed = queue.specialty === MAIN_SPECIALTY ? queue.workflow_pollers : queue.activity_pollers;
  const polled = needed.some((p) => !p.stale);
  return { ...queue, polled, start_command: polled ? null : startWorkerCommand(mainQueue, queue.specialty) };
}

async function pollersOf(client: Client, taskQueue: string, taskQueueType: number, now: number): Promise<PollerView[]> {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue },
    taskQueueType,
  });
  return (pollers ?? []).map((p) => pollerView(p, now));
}

export function pollerView(
  p: { identity?: string | null; lastAccessTime?: Parameters<typeof tsToMs>[0]; ratePerSecond?: number | null },
  now: number,
): PollerView {
  const at = p.lastAccessTime ? tsToMs(p.lastAccessTime) : undefined;
  const ago = at === undefined ? null : Math.max(0, Math.round((now - at) / 1000));
  const rate = p.ratePerSecond && p.ratePerSecond > 0 && p.ratePerSecond < UNLIMITED_RATE ? p.ratePerSecond : null;
  return {
    identity: p.identity ?? '(unknown)',
    last_access_time: at === undefined ? null : new Date(at).toISOString(),
    seconds_ago: ago,
    rate_per_second: rate,
    stale: ago !== null && ago * 1000 > STALE_POLLER_MS,
  };
}
