/**
 * The worker runtime's log level: TUGBOAT_LOG_LEVEL, else the caller's default (INFO for a
 * long-running `tugboat worker`, WARN when a worker is embedded in `tugboat up`'s output).
 * The runtime is process-wide and can be installed once; later calls keep the first.
 */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export function installWorkerLogging(
  defaultLevel: LogLevel,
  env: NodeJS.ProcessEnv = process.env,
  /** false: the embedding command handles Ctrl-C itself (the worker must not stop on its own). */
  stopOnSignals = true,
): void {
  const wanted = env.TUGBOAT_LOG_LEVEL?.toUpperCase();
  if (wanted && !LEVELS.includes(wanted as LogLevel)) {
    throw new Error(`TUGBOAT_LOG_LEVEL must be one of ${LEVELS.join(', ')} (got ${JSON.stringify(env.TUGBOAT_LOG_LEVEL)})`);
  }
  try {
    Runtime.install({
      logger: new DefaultLogger((wanted as LogLevel) ?? defaultLevel),
      ...(stopOnSignals ? {} : { shutdownSignals: [] }),
    });
  } catch {
    // Already installed in this process.
  }
}
