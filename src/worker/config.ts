/**
 * Worker settings from the environment, validated once up front with errors that say what to
 * change. The same binary serves the demo and production: only these values differ.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { parseDuration } from '../manifest/schema';
import { stateDir } from '../system/paths';
import { queueSelectionFromEnv, WorkerSettingsError, type QueueSelection } from './queues';

export { WorkerSettingsError } from './queues';

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
  /**
   * The specialties polled under `taskQueue` ('main' is taskQueue itself, with the workflows), with
   * their caps. Unset: the main queue and every default specialty (./queues.ts), so one worker runs everything.
   */
  queues?: QueueSelection[];
  /** Where to serve Prometheus metrics (`host:port`); unset: none. */
  metricsAddress?: string;
}

/** Prometheus's convention: metrics are scraped from other hosts, so a bare port listens on every interface. */
export const DEFAULT_METRICS_HOST = '0.0.0.0';

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
    throw new WorkerSettingsError(`TUGBOAT_SIMCLOUD_URL is not a URL: ${JSON.stringify(simCloudUrl)} (e.g. http://127.0.0.1:4780)`);
  }
  const grace = env.TUGBOAT_WORKER_GRACE?.trim() || DEFAULT_SHUTDOWN_GRACE;
  let shutdownGraceMs: number;
  try {
    shutdownGraceMs = parseDuration(grace);
  } catch {
    throw new WorkerSettingsError(`TUGBOAT_WORKER_GRACE (--grace) is not a duration: ${JSON.stringify(grace)} (e.g. 30s, 2m, 500ms)`);
  }
  const metrics = env.TUGBOAT_METRICS?.trim();
  return {
    taskQueue,
    simCloudUrl,
    stateDir: stateDir(env),
    shutdownGraceMs,
    queues: queueSelectionFromEnv(env),
    ...(metrics ? { metricsAddress: parseMetricsAddress(metrics) } : {}),
  };
}

/**
 * `9464`, `:9464`, `127.0.0.1:9464` or `[::1]:9464` → `host:port`. A bare port listens on every
 * interface. The host must be an IP address: the SDK's exporter binds it as given, without DNS.
 */
export function parseMetricsAddress(text: string): string {
  const match = /^(?:(\[[^\]]*\]|[^:]*):)?(\d+)$/.exec(text.trim());
  const host = match?.[1] ?? '';
  const port = Number(match?.[2]);
  const hostOk = host === '' || isIPv4(host) || (host.startsWith('[') && isIPv6(host.slice(1, -1)));
  if (!match || !hostOk || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new WorkerSettingsError(
      `TUGBOAT_METRICS (--metrics) is not [ip:]port: ${JSON.stringify(text)} (e.g. --metrics 9464, --metrics 127.0.0.1:9464 or --metrics [::1]:9464)`,
    );
  }
  return `${host || DEFAULT_METRICS_HOST}:${port}`;
}
