/**
 * A long-running worker that stops cleanly: on SIGTERM or SIGINT it stops polling, lets in-flight
 * steps finish within the worker's grace period (shutdownGraceTime), after which the SDK cancels
 * them as a worker shutdown and the step runner hands them back to another worker without
 * spending an attempt. It says when stopping begins and when it is done, so an operator watching
 * a rolling restart knows what happened. The Runtime must not handle these signals itself
 * (installWorkerLogging(..., stopOnSignals = false)): both would call shutdown().
 * A worker polling several task queues stops on all of them at once; "in flight" counts them all.
 */
import type { RunnableWorker } from './worker-group';

export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

export async function runUntilSignalled(
  /** One process's worker: all its task queues stop together (a WorkerGroup), or an SDK Worker. */
  worker: RunnableWorker,
  opts: { graceMs: number; write?: (line: string) => void },
): Promise<void> {
  const write = opts.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  let stoppingSince: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined || worker.getState() !== 'RUNNING') {
      write(`${signal}: already stopping; in-flight steps are handed back at most ${seconds(opts.graceMs)} after the first signal`);
      return;
    }
    stoppingSince = Date.now();
    const inFlight = worker.getStatus().numInFlightActivities;
    write(
      `${signal}: worker stopping: polling no more; ${inFlight} step(s) in flight get ${seconds(opts.graceMs)} to finish, ` +
        `then are handed back to another worker (not counted as failed attempts)`,
    );
    worker.shutdown();
  };
  const handlers = STOP_SIGNALS.map((signal) => [signal, () => onSignal(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  try {
    await worker.run();
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
  if (stoppingSince !== undefined) write(`worker stopped cleanly after ${seconds(Date.now() - stoppingSince)}`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
