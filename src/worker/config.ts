/**
 * Worker settings from the environment, validated once up front with errors that say what to
 * change. The same binary serves the demo and production: only these values differ.
 */
import { stateDir } from '../system/paths';

export const DEFAULT_TASK_QUEUE = 'tugboat';
export const DEFAULT_SIMCLOUD_PORT = 4780;
export const DEFAULT_SIMCLOUD_URL = `http://127.0.0.1:${DEFAULT_SIMCLOUD_PORT}`;

export interface WorkerSettings {
  taskQueue: string;
  simCloudUrl: string;
  /** The file state store: rollback manifests, intent ledger. */
  stateDir: string;
}

export function workerSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerSettings {
  const taskQueue = env.TUGBOAT_TASK_QUEUE?.trim() || DEFAULT_TASK_QUEUE;
  const simCloudUrl = env.TUGBOAT_SIMCLOUD_URL?.trim() || DEFAULT_SIMCLOUD_URL;
  try {
    new URL(simCloudUrl);
  } catch {
    throw new Error(`TUGBOAT_SIMCLOUD_URL is not a URL: ${JSON.stringify(simCloudUrl)} (e.g. http://127.0.0.1:4780)`);
  }
  return { taskQueue, simCloudUrl, stateDir: stateDir(env) };
}
