/**
 * Worker settings from the environment, validated once up front with errors that say what to
 * change. The same binary serves the demo and production: only these values differ.
 */
import { parseDuration } from '../manifest/schema';
import { stateDir } from '../system/paths';

export const DEFAULT_TASK_QUEUE = 'tugboat';
export const DEFAULT_SIMCLOUD_PORT = 4780;
export const DEFAULT_SIMCLOUD_URL = `http://127.0.0.1:${DEFAULT_SIMCLOUD_PORT}`;
/** Long enough for most steps to finish during a rolling restart; short enough for a pod's termination grace. */
export const DEFAULT_SHUTDOWN_GRACE = '30s';

export interface WorkerSettings {
  taskQueue: string;
  simCloudUrl: string;
  /** The file state store: rollback manifests, intent ledger. */
  stateDir: string;
  /**
   * How long a stopping worker lets in-flight steps finish before handing them back to another
   * worker. Unset (embedded and test workers): the SDK's default, hand back at once.
   */
  shutdownGraceMs?: number;
}

/** What a client needs (deploy): only the task queue, so a worker-only setting can't break it. */
export function taskQueueFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.TUGBOAT_TASK_QUEUE?.trim() || DEFAULT_TASK_QUEUE;
}

export function workerSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerSettings {
  const taskQueue = taskQueueFromEnv(env);
  const simCloudUrl = env.TUGBOAT_SIMCLOUD_URL?.trim() || DEFAULT_SIMCLOUD_URL;
  try {
    new URL(simCloudUrl);
  } catch {
    throw new Error(`TUGBOAT_SIMCLOUD_URL is not a URL: ${JSON.stringify(simCloudUrl)} (e.g. http://127.0.0.1:4780)`);
  }
  const grace = env.TUGBOAT_WORKER_GRACE?.trim() || DEFAULT_SHUTDOWN_GRACE;
  let shutdownGraceMs: number;
  try {
    shutdownGraceMs = parseDuration(grace);
  } catch {
    throw new Error(`TUGBOAT_WORKER_GRACE (--grace) is not a duration: ${JSON.stringify(grace)} (e.g. 30s, 2m, 500ms)`);
  }
  return { taskQueue, simCloudUrl, stateDir: stateDir(env), shutdownGraceMs };
}
