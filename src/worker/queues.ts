/**
 * Which task queues one worker process polls, and the caps on each: `--queues` (TUGBOAT_QUEUES)
 * and `--rate` (TUGBOAT_QUEUE_RATES), checked up front with errors that name the flag and show an
 * example. Names are specialties (src/api/task-queues.ts): `main` is the deployment's own queue,
 * where the workflows run; every other name is `<main>-<specialty>`, activities only.
 */
import { DEFAULT_SPECIALTIES, MAIN_SPECIALTY, taskQueueName } from '../api/task-queues';
import { specialtySchema } from '../manifest/schema';

/** A worker setting that cannot be used; the message names the flag, its variable and an example. */
export class WorkerSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerSettingsError';
  }
}

/** One specialty this worker polls, with its caps. */
export interface QueueSelection {
  specialty: string;
  /** maxConcurrentActivityTaskExecutions of this worker on that queue (`--queues infra=4`). */
  maxConcurrentActivities?: number;
  /**
   * maxTaskQueueActivitiesPerSecond (`--rate infra=2`): enforced by the Temporal server for the
   * whole queue, across every worker polling it: the token bucket the seeds ask for.
   */
  activitiesPerSecond?: number;
}

/** One task queue as polled: its Temporal name, and whether workflows run there too. */
export interface PolledQueue extends QueueSelection {
  taskQueue: string;
  /** Only the main queue runs workflows; specialty queues run their services' steps. */
  workflows: boolean;
}

/** What a plain `tugboat worker` polls: the main queue and every default specialty, so one worker runs everything. */
export function defaultQueueSelection(): QueueSelection[] {
  return [MAIN_SPECIALTY, ...DEFAULT_SPECIALTIES].map((specialty) => ({ specialty }));
}

const QUEUES_FLAG = '--queues (TUGBOAT_QUEUES)';
const RATE_FLAG = '--rate (TUGBOAT_QUEUE_RATES)';
const QUEUES_EXAMPLE = 'e.g. --queues infra=4,shell or --queues main,http';
const RATE_EXAMPLE = 'e.g. --rate infra=2,shell=0.5 or --rate 5 for every queue';

/** `infra=4,shell,main`: the specialties to poll, each with an optional cap on concurrent steps. */
export function parseQueues(text: string): QueueSelection[] {
  const items = splitList(text, QUEUES_FLAG, QUEUES_EXAMPLE);
  const seen = new Set<string>();
  return items.map((item) => {
    const [rawName, rawCap, ...extra] = item.split('=');
    const specialty = checkedName(rawName!.trim(), QUEUES_FLAG, QUEUES_EXAMPLE);
    if (seen.has(specialty)) throw new WorkerSettingsError(`${QUEUES_FLAG} names "${specialty}" twice (${QUEUES_EXAMPLE})`);
    seen.add(specialty);
    if (rawCap === undefined) return { specialty };
    if (extra.length > 0) throw new WorkerSettingsError(`${QUEUES_FLAG}: ${JSON.stringify(item)} has more than one "=" (${QUEUES_EXAMPLE})`);
    const cap = Number(rawCap.trim());
    if (rawCap.trim() === '' || !Number.isInteger(cap) || cap < 1) {
      throw new WorkerSettingsError(
        `${QUEUES_FLAG}: the cap of "${specialty}" must be a whole number of concurrent steps, 1 or more (got ${JSON.stringify(rawCap)}; ${QUEUES_EXAMPLE})`,
      );
    }
    return { specialty, maxConcurrentActivities: cap };
  });
}

/**
 * `infra=2,shell=0.5` (steps started per second on that queue) or `5` (every polled queue): the
 * rates merged into `queues`. A rate for a queue this worker does not poll is an error: it would
 * silently limit nothing.
 */
export function applyRates(queues: QueueSelection[], text: string): QueueSelection[] {
  const items = splitList(text, RATE_FLAG, RATE_EXAMPLE);
  if (items.length === 1 && !items[0]!.includes('=')) {
    const rate = checkedRate(items[0]!, 'every queue');
    return queues.map((q) => ({ ...q, activitiesPerSecond: rate }));
  }
  const rates = new Map<string, number>();
  for (const item of items) {
    const [rawName, rawRate, ...extra] = item.split('=');
    if (rawRate === undefined || extra.length > 0) {
      throw new WorkerSettingsError(`${RATE_FLAG}: ${JSON.stringify(item)} is not <queue>=<steps per second> (${RATE_EXAMPLE})`);
    }
    const specialty = checkedName(rawName!.trim(), RATE_FLAG, RATE_EXAMPLE);
    if (rates.has(specialty)) throw new WorkerSettingsError(`${RATE_FLAG} names "${specialty}" twice (${RATE_EXAMPLE})`);
    if (!queues.some((q) => q.specialty === specialty)) {
      throw new WorkerSettingsError(
        `${RATE_FLAG} limits "${specialty}", which this worker does not poll (it polls ${queues.map((q) => q.specialty).join(', ')}); ` +
          `add it to --queues or drop the rate`,
      );
    }
    rates.set(specialty, checkedRate(rawRate, `"${specialty}"`));
  }
  return queues.map((q) => (rates.has(q.specialty) ? { ...q, activitiesPerSecond: rates.get(q.specialty) } : q));
}

/** TUGBOAT_QUEUES and TUGBOAT_QUEUE_RATES (the flags are passed in through them): the default when unset. */
export function queueSelectionFromEnv(env: NodeJS.ProcessEnv): QueueSelection[] {
  const listed = env.TUGBOAT_QUEUES?.trim();
  const queues = listed ? parseQueues(listed) : defaultQueueSelection();
  const rates = env.TUGBOAT_QUEUE_RATES?.trim();
  return rates ? applyRates(queues, rates) : queues;
}

/** The selection under a main queue: Temporal queue names, the main queue first. */
export function polledQueues(mainQueue: string, selection: readonly QueueSelection[]): PolledQueue[] {
  const ordered = [...selection].sort((a, b) => Number(b.specialty === MAIN_SPECIALTY) - Number(a.specialty === MAIN_SPECIALTY));
  return ordered.map((q) => ({
    ...q,
    taskQueue: taskQueueName(mainQueue, q.specialty),
    workflows: q.specialty === MAIN_SPECIALTY,
  }));
}

/** One line of the worker's start message: `task queue "tugboat-infra"  infra steps; at most 4 at once; 2/s (server-side)`. */
export function describePolledQueue(q: PolledQueue, width = 0): string {
  const what = q.workflows ? 'workflows and the steps of services on the main queue' : `steps of "${q.specialty}" services`;
  const caps = [
    q.maxConcurrentActivities !== undefined ? `at most ${q.maxConcurrentActivities} at once here` : undefined,
    q.activitiesPerSecond !== undefined ? `${q.activitiesPerSecond}/s for the whole queue (server-side)` : undefined,
  ].filter((c): c is string => c !== undefined);
  return `  task queue ${`"${q.taskQueue}"`.padEnd(width + 2)}  ${what}${caps.length > 0 ? `; ${caps.join('; ')}` : ''}`;
}

function splitList(text: string, flag: string, example: string): string[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new WorkerSettingsError(`${flag} has an empty entry in ${JSON.stringify(text)} (${example})`);
  return items;
}

function checkedName(name: string, flag: string, example: string): string {
  const checked = specialtySchema.safeParse(name);
  // A well-formed name that is reserved (`ingress`: the Redis ingress's queues) says why.
  const reserved = checked.error?.issues.find((issue) => issue.code === 'custom');
  if (reserved) throw new WorkerSettingsError(`${flag}: ${reserved.message} (${example})`);
  if (!checked.success) {
    throw new WorkerSettingsError(
      `${flag}: ${JSON.stringify(name)} is not a queue name: lowercase letters, digits and hyphens, ` +
        `such as "infra" or "gpu" ("main": the deployment's own queue, where workflows run) (${example})`,
    );
  }
  return name;
}

function checkedRate(raw: string, what: string): number {
  const rate = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(rate) || rate <= 0) {
    throw new WorkerSettingsError(`${RATE_FLAG}: the rate of ${what} must be a number of steps per second above 0 (got ${JSON.stringify(raw)}; ${RATE_EXAMPLE})`);
  }
  return rate;
}
