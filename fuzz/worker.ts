/**
 * One surface's cases in a worker thread, so the runner's watchdog can end a case that hangs
 * (terminate the thread) and go on from the next case. Posts a heartbeat before every case and
 * its report at the end.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SURFACES } from './surfaces';

interface Job {
  surface: string;
  seed: number;
  numRuns: number;
  /** The first case to run (after a hang, the one after it). */
  from: number;
}

async function main(): Promise<void> {
  const job = workerData as Job;
  const surface = SURFACES.find((s) => s.name === job.surface);
  if (!surface) throw new Error(`no surface ${job.surface}`);
  const report = await surface.run({
    numRuns: job.numRuns,
    seed: job.seed,
    from: job.from,
    onCase: (caseIndex, soFar) => parentPort?.postMessage({ type: 'case', caseIndex, soFar }),
  });
  parentPort?.postMessage({ type: 'report', report });
}

main().catch((error: unknown) => parentPort?.postMessage({ type: 'error', message: (error as Error)?.stack ?? String(error) }));
