/**
 * A Tugboat worker in its own OS process (the built CLI: `tugboat worker`), so a test can kill it
 * with SIGKILL like a crashed machine. Stopped only by its own PID.
 */
import path from 'node:path';
import { startProcess, type ManagedProcess } from '../../src/system/process';
import { testEnv } from './temporal-env';
import { waitFor } from './wait';

const CLI = path.resolve(__dirname, '..', '..', 'bin', 'tugboat.js');

export interface WorkerProcess {
  process: ManagedProcess;
  output: string[];
}

export interface SpawnWorkerOptions {
  taskQueue: string;
  simCloudUrl: string;
  /** The worker's TUGBOAT_HOME: its state store is <home>/state, as for the in-process worker. */
  home: string;
  /**
   * `--queues`: the specialties it polls, e.g. 'shell' or 'main,infra=2' (default: the main queue
   * and every default specialty, as a plain `tugboat worker`).
   */
  queues?: string;
  /** More `tugboat worker` flags, e.g. ['--grace', '1s']. */
  args?: string[];
  /** More environment (wins over the defaults here). */
  env?: NodeJS.ProcessEnv;
}

export async function spawnWorker(opts: SpawnWorkerOptions): Promise<WorkerProcess> {
  const env = testEnv();
  const output: string[] = [];
  const proc = startProcess([process.execPath, CLI, 'worker', ...(opts.queues ? ['--queues', opts.queues] : []), ...(opts.args ?? [])], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace,
      TUGBOAT_TASK_QUEUE: opts.taskQueue,
      TUGBOAT_SIMCLOUD_URL: opts.simCloudUrl,
      TUGBOAT_HOME: opts.home,
      TUGBOAT_WORKFLOW_BUNDLE: env.bundlePath,
      TUGBOAT_LOG_LEVEL: 'WARN',
      ...opts.env,
    },
    onLine: (line) => output.push(line),
  });
  let exited = false;
  void proc.exited.then(() => (exited = true));
  await waitFor(() => exited || output.some((l) => l.includes('worker polling')), {
    timeoutMs: 60_000,
    what: 'the worker process to start polling',
  });
  if (exited) throw new Error(`worker process exited at start:\n${output.join('\n')}`);
  return { process: proc, output };
}
