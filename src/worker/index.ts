/**
 * Builds a Tugboat worker: the deployment and service workflows plus the executor activities,
 * on one task queue. Used by `tugboat worker`, `tugboat up` and the tests.
 */
import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { ExecutorRegistry } from '../executors/registry';
import { FileStateStore } from '../state';
import type { WorkerSettings } from './config';

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
  /** Tunables for tests and benchmarks. */
  overrides?: Partial<WorkerOptions>;
}

export async function createTugboatWorker(opts: CreateWorkerOptions): Promise<Worker> {
  const store = new FileStateStore(opts.stateDir);
  const executors = new ExecutorRegistry({
    simCloudUrl: opts.simCloudUrl,
    // The state dir is <TUGBOAT_HOME>/state: executors keep working copies beside it.
    dataDir: path.dirname(opts.stateDir),
    serviceState: store,
    env: process.env,
  });
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue,
    ...(opts.identity ? { identity: opts.identity } : {}),
    activities: createActivities({ executors, store }),
    ...(opts.workflowBundle
      ? { workflowBundle: opts.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }),
    // Cancellation reaches an activity through heartbeat responses: keep the throttle short so a
    // stopped deployment stops its steps within about a second.
    maxHeartbeatThrottleInterval: '1 second',
    // On shutdown, in-flight steps get this long to finish; then the SDK cancels them (worker
    // shutdown) and the step runner hands them back without spending an attempt.
    ...(opts.shutdownGraceMs !== undefined
      ? { shutdownGraceTime: opts.shutdownGraceMs, shutdownForceTime: opts.shutdownGraceMs + SHUTDOWN_FORCE_MARGIN_MS }
      : {}),
    ...opts.overrides,
  });
}
