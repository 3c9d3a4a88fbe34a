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
  /**
   * V8 heap limit (MB) of the thread that runs workflow code, and what the workflow cache is sized
   * for (see workflowCacheSize in ./index.ts). Unset: V8's default for this machine (a quarter of
   * its memory, up to 4 GB), under which the heap grows far past what it keeps alive before a full
   * collection.
   */
  workflowHeapMb?: number;
}

/**
 * The workflow thread's heap limit for `tugboat worker`. Measured on the bench's layered DAG
 * (100 services per layer, max_parallel 100): that thread keeps at most ~150 MB alive (the running
 * children and the parent), but under V8's default limit let garbage pile up to a 476 MB heap
 * between full collections; at 512 its heap stayed under ~310 MB at the same speed. 384 was no
 * better (more collections, the same peak).
 */
export const DEFAULT_WORKFLOW_HEAP_MB = 512;
/** Below this the workflow bundle and one large deployment's parent would not fit. */
export const MIN_WORKFLOW_HEAP_MB = 256;

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
  const workflowHeapMb = parseWorkflowHeapMb(env.TUGBOAT_WORKFLOW_HEAP_MB);
  return {
    taskQueue,
    simCloudUrl,
    stateDir: stateDir(env),
    shutdownGraceMs,
    queues: queueSelectionFromEnv(env),
    ...(metrics ? { metricsAddress: parseMetricsAddress(metrics) } : {}),
    ...(workflowHeapMb !== undefined ? { workflowHeapMb } : {}),
  };
}

/** TUGBOAT_WORKFLOW_HEAP_MB: a size in MB, `default` for V8's own limit; unset: DEFAULT_WORKFLOW_HEAP_MB. */
export function parseWorkflowHeapMb(text: string | undefined): number | undefined {
  const value = text?.trim() || String(DEFAULT_WORKFLOW_HEAP_MB);
  if (value === 'default') return undefined;
  const mb = Number(value);
  if (!/^\d+$/.test(value) || mb < MIN_WORKFLOW_HEAP_MB) {
    throw new WorkerSettingsError(
      `TUGBOAT_WORKFLOW_HEAP_MB is not a size in MB of at least ${MIN_WORKFLOW_HEAP_MB}: ${JSON.stringify(text)} (e.g. 512, 1024, or default for V8's own limit)`,
    );
  }
  return mb;
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
