/**
 * A running Redis ingress: two Redis connections (one blocks in BLMOVE), the task loop, and an
 * activity-only Temporal worker on `<task queue>-ingress-<target hash>` (./publisher-queue.ts) that
 * publishes results for the task workflows (./loop.ts, src/workflows/ingress-task.ts). Used by
 * `tugboat ingress` and the tests.
 *
 * A stop is bounded: if Redis does not answer (down, or the network silently drops packets), the
 * task in hand, its give-back and an in-flight result publication would wait for it forever, so
 * after STOP_GRACE_MS the Redis connections are destroyed, failing whatever waits on them: the task
 * stays in the processing list (re-driven later) and Temporal retries the publication elsewhere.
 */
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createIngressActivities } from '../activities/publish-task-result';
import { dataConverterFromEnv } from '../codec';
import type { IngressKeys } from './keys';
import { IngressLoop, type IngressEvent } from './loop';
import { publisherQueueName } from './publisher-queue';
import { connectRedis, type Redis } from './redis';

export { ingressKeys, processingKeyFor, resultKey, type IngressKeys } from './keys';
export type { IngressEvent } from './loop';

export interface IngressOptions {
  redisUrl: string;
  keys: IngressKeys;
  /** The main task queue: task workflows (and their deployments) start here. */
  taskQueue: string;
  client: Client;
  /** For the result publisher's worker. */
  connection: NativeConnection;
  namespace: string;
  log: (line: string) => void;
  /** Every task event, besides its log line (tests watch these). */
  onEvent?: (event: IngressEvent) => void;
  holdAfterTake?: boolean;
  /** How often the processing list is re-driven (default: every minute, see ./loop.ts). */
  redriveEveryMs?: number;
  /** How long a stop waits for Redis before closing its connections by force (default STOP_GRACE_MS). */
  stopGraceMs?: number;
}

export const STOP_GRACE_MS = 10_000;
/** The publisher worker's own bound, should an activity still hang once Redis is closed. */
const WORKER_FORCE_STOP_AFTER_GRACE_MS = 10_000;

export interface RunningIngress {
  /** Where the result publisher polls. */
  publisherQueue: string;
  /** Finishes the task in hand, stops the publisher, closes Redis. */
  stop(): Promise<void>;
  /** Settles when the ingress has stopped (after stop(), or on a fatal error: rejects). */
  done: Promise<void>;
}

export async function startIngress(opts: IngressOptions): Promise<RunningIngress> {
  const redis = await connectRedis(opts.redisUrl, { name: 'tugboat-ingress', log: opts.log });
  let blocking: Redis | undefined;
  try {
    blocking = await connectRedis(opts.redisUrl, { name: 'tugboat-ingress-take', log: opts.log });
    const publisherQueue = publisherQueueName(opts.taskQueue, opts.redisUrl, opts.keys.pending);
    const stopGraceMs = opts.stopGraceMs ?? STOP_GRACE_MS;
    const publisher = {
      connection: opts.connection,
      namespace: opts.namespace,
      // Activity-only: the task workflows themselves run on the deployment workers.
      activities: createIngressActivities(redis),
      // Its inputs come from the task workflows: encrypted when they are (src/codec).
      dataConverter: dataConverterFromEnv(),
      shutdownForceTime: stopGraceMs + WORKER_FORCE_STOP_AFTER_GRACE_MS,
    };
    const workers = [await Worker.create({ ...publisher, taskQueue: publisherQueue })];
    const loop = new IngressLoop({
      keys: opts.keys,
      taskQueue: opts.taskQueue,
      publisherQueue,
      redriveEveryMs: opts.redriveEveryMs,
      redis,
      blocking,
      client: opts.client,
      holdAfterTake: opts.holdAfterTake,
      onEvent: (event) => {
        opts.log(describeEvent(event, opts.keys));
        opts.onEvent?.(event);
      },
    });
    const runs = workers.map((worker) => worker.run());
    const running = Promise.all(runs);
    const looping = loop.run();
    const stopBlocking = blocking;
    let forceTimer: NodeJS.Timeout | undefined;
    // Armed once stopping starts (asked for, or the publisher died): Redis gets STOP_GRACE_MS to answer.
    const armForce = () => {
      forceTimer ??= setTimeout(() => {
        opts.log(`stopping: Redis did not answer within ${stopGraceMs / 1000}s; closing its connections (a task in hand stays in ${opts.keys.processing})`);
        redis.destroy();
        stopBlocking.destroy();
      }, stopGraceMs);
    };
    const done = (async () => {
      try {
        // A publisher that dies stops the taking too: results must have somewhere to go.
        await Promise.race([looping, running.then(() => loop.stop(), (err) => (loop.stop(), Promise.reject(err)))]);
        armForce();
        await looping;
      } finally {
        armForce();
        for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
        await Promise.allSettled(runs);
        await Promise.allSettled([redis.close(), stopBlocking.close()]);
        clearTimeout(forceTimer);
      }
    })();
    let stopping: Promise<void> | undefined;
    return {
      publisherQueue,
      stop() {
        loop.stop();
        armForce();
        stopping ??= done.catch(() => undefined);
        return stopping;
      },
      done,
    };
  } catch (err) {
    await Promise.allSettled([redis.close(), blocking?.close()]);
    throw err;
  }
}

/** One line per event: `taken <id>` first (the kill test waits for it). */
export function describeEvent(event: IngressEvent, keys: IngressKeys): string {
  switch (event.kind) {
    case 'taken':
      return `taken ${event.id}${event.redriven ? ` (re-driven from ${keys.processing})` : ''}`;
    case 'started':
      return `started ${event.id}: workflow ${event.workflowId}, deployment ${event.deploymentId}`;
    case 'duplicate':
      return (
        `duplicate ${event.id}: workflow ${event.workflowId} already exists ` +
        `(${event.status.toLowerCase()}${event.deploymentId ? `, deployment ${event.deploymentId}` : ''}), nothing new started`
      );
    case 'republished':
      return `republished ${event.id}: its result was gone from ${keys.resultPrefix}${event.id}; published again from workflow ${event.workflowId} (${event.status.toLowerCase()})`;
    case 'given-back':
      return event.moved ? `gave ${event.id} back to ${keys.pending} (stopping before it was settled)` : `${event.id} was no longer in ${keys.processing} at stop`;
    case 'give-back-failed':
      return `could not give ${event.id} back to ${keys.pending} at stop (${event.error}); it stays in ${keys.processing} and is re-driven later`;
    case 'already-done':
      return `done ${event.id}: its result is already published, nothing started`;
    case 'rejected':
      return `rejected ${event.id}: ${event.problems.join('; ')}`;
    case 'removed':
      return `removed ${event.id} from ${keys.processing}${event.count === 0 ? ' (already gone)' : ''}`;
    case 'retrying':
      return `retrying ${event.id} in ${(event.inMs / 1000).toFixed(1)}s (it stays in ${keys.processing}): ${event.error}`;
    case 'redis-unavailable':
      return `cannot take tasks from ${keys.pending}: ${event.error}; trying again in ${(event.inMs / 1000).toFixed(1)}s`;
    case 'redrive':
      return event.periodic
        ? `re-driving ${event.count} task(s) found in ${keys.processing} (left by an ingress that died, or in another's hands: starts are deduped)`
        : `re-driving ${event.count} task(s) left in ${keys.processing} by an ingress that stopped before settling them`;
  }
}
