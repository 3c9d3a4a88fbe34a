/**
 * The worker process's Temporal runtime: its log level — TUGBOAT_LOG_LEVEL, else the caller's
 * default (INFO for a long-running `tugboat worker`, WARN when a worker is embedded in `tugboat
 * up`'s output) — and, with `tugboat worker --metrics`, the Prometheus endpoint where the runtime
 * serves Temporal's worker metrics and Tugboat's own (src/metrics).
 * The runtime is process-wide and can be installed once; later calls keep the first.
 */
import { IllegalStateError } from '@temporalio/common';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { prometheusMetricsOptions } from '../metrics/runtime';

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export interface WorkerTelemetry {
  /** Serve Prometheus metrics at http://<address>/metrics (`[ip:]port`, as `--metrics` takes it). */
  metricsAddress?: string;
}

export function installWorkerLogging(
  defaultLevel: LogLevel,
  env: NodeJS.ProcessEnv = process.env,
  /** false: the embedding command handles Ctrl-C itself (the worker must not stop on its own). */
  stopOnSignals = true,
  telemetry: WorkerTelemetry = {},
): void {
  const wanted = env.TUGBOAT_LOG_LEVEL?.toUpperCase();
  if (wanted && !LEVELS.includes(wanted as LogLevel)) {
    throw new Error(`TUGBOAT_LOG_LEVEL must be one of ${LEVELS.join(', ')} (got ${JSON.stringify(env.TUGBOAT_LOG_LEVEL)})`);
  }
  const metrics = telemetry.metricsAddress === undefined ? undefined : prometheusMetricsOptions(telemetry.metricsAddress);
  try {
    Runtime.install({
      logger: new DefaultLogger((wanted as LogLevel) ?? defaultLevel),
      ...(stopOnSignals ? {} : { shutdownSignals: [] }),
      ...(metrics ? { telemetryOptions: { metrics } } : {}),
    });
  } catch (err) {
    if (err instanceof IllegalStateError) {
      // Already installed in this process: fine for logging, not when metrics were asked for.
      if (metrics) throw new Error(`--metrics ${telemetry.metricsAddress}: this process's Temporal runtime was already set up without metrics`);
      return;
    }
    if (!metrics) throw err;
    // The runtime binds the port at once: in use, or not an address of this machine.
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`--metrics (TUGBOAT_METRICS) ${telemetry.metricsAddress}: cannot serve Prometheus metrics there: ${why}`);
  }
}
