/**
 * Builds a Tugboat worker: the deployment and service workflows plus the executor activities on
 * the main task queue, and each service specialty's steps on its own queue (src/api/task-queues.ts),
 * one SDK Worker per queue in one WorkerGroup. Used by `tugboat worker`, `tugboat up` and the tests.
 */
import path from 'node:path';
import v8 from 'node:v8';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { dataConverterFromEnv } from '../codec';
import { createActivities } from '../activities';
import type { ExecutorDependencies } from '../executors/types';
import { ExecutorRegistry } from '../executors/registry';
import { workerInstrumentation } from '../metrics';
import { FileStateStore, type StateStore } from '../state';
import type { WorkerSettings } from './config';
import { defaultQueueSelection, polledQueues, type PolledQueue } from './queues';
import { WorkerGroup } from './worker-group';
import { prebuiltWorkflowBundle } from './prebuilt-bundle';

export { WorkerGroup } from './worker-group';
export type { PolledQueue } from './queues';

/**
 * After the grace period, steps get this long to acknowledge cancellation and report the hand-back;
 * a step that ignores it must not keep the worker from exiting (the server retries it once its
 * heartbeat times out, as after a crash).
 */
export const SHUTDOWN_FORCE_MARGIN_MS = 10_000;

export interface CreateWorkerOptions extends WorkerSettings {
  connection: NativeConnection;
  namespace?: string;
  /** A pre-built bundle (tests build one per run); otherwise the workflows are bundled now. */
  workflowBundle?: { code: string } | { codePath: string };
  identity?: string;
  /**
   * The state store (an open one, e.g. from openStateStore: the caller closes it). Unset: the file
   * store in `stateDir`.
   */
  store?: StateStore;
  /** Set with a PostgreSQL store: executors with state of their own keep it in the same database. */
  postgres?: ExecutorDependencies['postgres'];
  /** Payload encryption; unset: as the environment configures it (src/codec). */
  dataConverter?: DataConverter;
  /** Tunables for tests and benchmarks, applied on every queue. */
  overrides?: Partial<WorkerOptions>;
}

export async function createTugboatWorker(opts: CreateWorkerOptions): Promise<WorkerGroup> {
  const store = opts.store ?? new FileStateStore(opts.stateDir);
  const executors = new ExecutorRegistry({
    simCloudUrl: opts.simCloudUrl,
    // The state dir is <TUGBOAT_HOME>/state: executors keep working copies beside it.
    dataDir: path.dirname(opts.stateDir),
    serviceState: store,
    env: process.env,
    ...(opts.postgres ? { postgres: opts.postgres } : {}),
  });
  // Every queue gets every activity: which ones arrive where is the workflows' choice (routing).
  const activities = createActivities({ executors, store });
  // Compiled code uses the bundle built with it; source (tests, tsx) bundles itself.
  const dataConverter = opts.dataConverter ?? dataConverterFromEnv();
  const workflowBundle = opts.workflowBundle ?? defaultWorkflowBundle(dataConverter);
  const bundled = { ...opts, workflowBundle, dataConverter };
  // Before Worker.create: the SDK starts the workflow thread there, and its heap is sized then.
  limitWorkflowHeap(opts.workflowHeapMb);
  const members = [];
  try {
    for (const queue of polledQueues(opts.taskQueue, opts.queues ?? defaultQueueSelection())) {
      members.push({ queue, worker: await Worker.create(queueWorkerOptions(bundled, queue, activities)) });
    }
  } catch (err) {
    // Created workers hold native resources until they run and stop; none has run yet.
    await Promise.allSettled(members.map(({ worker }) => worker.runUntil(Promise.resolve())));
    throw err;
  }
  return new WorkerGroup(members);
}

/**
 * The bundle `npm run build` wrote for this converter: with payload encryption on, the one bundled
 * with the codec's failure converter, so the workflows' own failure messages are encrypted too.
 * Undefined (running from source, not built): the workflows are bundled at start.
 */
export function defaultWorkflowBundle(dataConverter: DataConverter | undefined): { codePath: string } | undefined {
  return prebuiltWorkflowBundle(dataConverter?.failureConverterPath);
}

/** The SDK Worker of one queue: workflows only on the main queue; the caps this queue was given. */
function queueWorkerOptions(opts: CreateWorkerOptions, queue: PolledQueue, activities: WorkerOptions['activities']): WorkerOptions {
  return {
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: queue.taskQueue,
    ...(opts.identity ? { identity: opts.identity } : {}),
    activities,
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
    // Step and deployment metrics; tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set (src/metrics, src/tracing).
    ...workerInstrumentation({ prebuiltBundle: opts.workflowBundle !== undefined }),
    // Without workflows the SDK polls activity tasks only: specialty queues never run workflow code.
    ...(queue.workflows ? workflowSource(opts) : {}),
    // The SDK sizes its cache from the main thread's heap limit (2,310 workflows under a 4 GB
    // default); sized instead, by the SDK's own rule, for the heap the workflows actually run in.
    ...(queue.workflows && opts.workflowHeapMb !== undefined ? { maxCachedWorkflows: workflowCacheSize(opts.workflowHeapMb) } : {}),
    ...(queue.maxConcurrentActivities !== undefined ? { maxConcurrentActivityTaskExecutions: queue.maxConcurrentActivities } : {}),
    ...(queue.activitiesPerSecond !== undefined ? { maxTaskQueueActivitiesPerSecond: queue.activitiesPerSecond } : {}),
    // Cancellation reaches an activity through heartbeat responses: keep the throttle short so a
    // stopped deployment stops its steps within about a second.
    maxHeartbeatThrottleInterval: '1 second',
    // On shutdown, in-flight steps get this long to finish; then the SDK cancels them (worker
    // shutdown) and the step runner hands them back without spending an attempt.
    ...(opts.shutdownGraceMs !== undefined
      ? { shutdownGraceTime: opts.shutdownGraceMs, shutdownForceTime: opts.shutdownGraceMs + SHUTDOWN_FORCE_MARGIN_MS }
      : {}),
    ...opts.overrides,
  };
}

/** The SDK's default cache size (reused V8 context) for a workflow heap of this many MB. */
export function workflowCacheSize(heapMb: number): number {
  return Math.max(Math.floor((Math.max(heapMb - 200, 0) * 600) / 1024), 10);
}

/**
 * Caps the V8 heap of threads started from now on (the SDK runs workflow code in one) unless the
 * process was given its own --max-old-space-size. A V8 flag is process-wide, but the main
 * thread's heap is already sized, so this one limit reaches the workflow thread only. Why: with
 * V8's default limit (up to 4 GB) a deployment of 100 services at a time left the workflow
 * thread's heap at 476 MB, mostly garbage, while at most ~150 MB was alive (DEFAULT_WORKFLOW_HEAP_MB).
 */
export function limitWorkflowHeap(heapMb: number | undefined, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  if (heapMb === undefined) return false;
  const given = [...process.execArgv, ...nodeOptions.split(/\s+/)].some((arg) => /^--max[-_]old[-_]space[-_]size\b/.test(arg));
  if (given) return false;
  v8.setFlagsFromString(`--max-old-space-size=${heapMb}`);
  return true;
}

function workflowSource(opts: CreateWorkerOptions): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  return opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: require.resolve('../workflows') };
}
