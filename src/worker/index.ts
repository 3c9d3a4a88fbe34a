/**
 * Builds a Tugboat worker: the deployment and service workflows plus the executor activities,
 * on one task queue. Used by `tugboat worker`, `tugboat up` and the tests.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { ExecutorRegistry } from '../executors/registry';
import { FileStateStore } from '../state';
import type { WorkerSettings } from './config';

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
  const executors = new ExecutorRegistry({ simCloudUrl: opts.simCloudUrl });
  const store = new FileStateStore(opts.stateDir);
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
    ...opts.overrides,
  });
}
