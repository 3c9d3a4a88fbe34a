/**
 * "This service waits on a queue nobody polls": a service whose specialty queue has no worker
 * would wait forever without a word (Temporal keeps the task until someone polls). `status`,
 * `deploy` and `up` describe each unfinished service's queue and name the command that starts a
 * worker for it.
 */
import type { Client } from '@temporalio/client';
import { MAIN_SPECIALTY, serviceSpecialty, taskQueueName } from '../api/task-queues';
import type { Manifest } from '../manifest/schema';
import { describeQueue, type QueueView } from './workers';

export interface QueueWarning {
  /** The services waiting on it; empty for the main queue (the deployment's own workflows). */
  services: string[];
  specialty: string;
  task_queue: string;
  start_command: string;
  message: string;
}

/** Service states that will still run a step (apply, verify or compensate) on the service's queue. */
const WILL_RUN = new Set(['PENDING', 'WAITING', 'AWAITING_APPROVAL', 'RUNNING', 'RETRYING', 'ROLLING_BACK', 'ROLLBACK_BLOCKED']);

export interface QueueWarningInput {
  /** The deployment's own task queue (the workflow's): specialty queues are named after it. */
  mainQueue: string;
  manifest: Pick<Manifest, 'deployment'>;
  /** Each service's current state; absent: not started yet, every service will run. */
  states?: Record<string, { state: string }>;
  /** Queues known to be polled (the embedded worker of `up`): not asked about. */
  polled?: readonly string[];
}

/** One warning per queue that an unfinished service (or the deployment itself) waits on and no live worker polls. */
export async function noPollerWarnings(client: Client, input: QueueWarningInput): Promise<QueueWarning[]> {
  const waiting = new Map<string, string[]>([[MAIN_SPECIALTY, []]]);
  for (const service of input.manifest.deployment.services) {
    const state = input.states?.[service.name]?.state;
    if (state !== undefined && !WILL_RUN.has(state)) continue;
    const specialty = serviceSpecialty(service, input.manifest.deployment);
    waiting.set(specialty, [...(waiting.get(specialty) ?? []), service.name]);
  }
  const asked = [...waiting.keys()].filter((s) => !input.polled?.includes(taskQueueName(input.mainQueue, s)));
  const views = await Promise.all(asked.map((s) => describeQueue(client, input.mainQueue, s)));
  return views.filter((v) => !v.polled && v.start_command).map((v) => queueWarning(v, waiting.get(v.specialty) ?? []));
}

function queueWarning(view: QueueView, services: string[]): QueueWarning {
  const what =
    services.length === 0
      ? 'the deployment waits'
      : `${services.length === 1 ? 'service' : 'services'} ${services.join(', ')} ${services.length === 1 ? 'waits' : 'wait'}`;
  return {
    services,
    specialty: view.specialty,
    task_queue: view.task_queue,
    start_command: view.start_command!,
    message: `${what} on task queue "${view.task_queue}", which no worker polls; start one: ${view.start_command}`,
  };
}

/** The warnings as `warning: …` lines for stderr (stdout may be JSON). */
export function printQueueWarnings(warnings: readonly QueueWarning[], write = (line: string) => process.stderr.write(`${line}\n`)): void {
  for (const w of warnings) write(`warning: ${w.message}`);
}
