/**
 * Verify converges: a service that was just applied may need a while before it answers healthy
 * (pods rolling, DNS, a warming cache). Probe until it is healthy or the service's verify window
 * (`verify_timeout`) has passed, backing off between probes; only then does it count as unhealthy.
 * A probe that fails transiently (connection refused while the service starts) is one more
 * unhealthy answer, not the end of the attempt; a permanent error or a cancellation ends it.
 */
import type { VerifyOutcome } from '../api/workflow-types';
import { PermanentDeployError } from '../executors/errors';
import { abortableSleep } from '../system/sleep';

export const FIRST_PROBE_GAP_MS = 1_000;
export const MAX_PROBE_GAP_MS = 10_000;

export interface ConvergeOptions {
  /** Epoch ms after which no new probe starts. */
  deadlineMs: number;
  signal: AbortSignal;
  now?: () => number;
  /** Injected by unit tests, which keep their own clock. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** A fixed pause between probes (a health check's `interval`); otherwise 1 s doubling to 10 s. */
  intervalMs?: number;
  /** Called before each wait: heartbeat details for `status`. */
  onUnhealthy?: (outcome: VerifyOutcome, probes: number) => void;
}

export async function probeUntilHealthy(
  probe: () => Promise<VerifyOutcome>,
  opts: ConvergeOptions,
): Promise<VerifyOutcome> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? abortableSleep;
  let gap = opts.intervalMs ?? FIRST_PROBE_GAP_MS;
  for (let probes = 1; ; probes++) {
    const outcome = await probeOnce(probe, opts.signal);
    if (outcome.healthy) return outcome;
    const remaining = opts.deadlineMs - now();
    if (remaining <= 0) {
      return { ...outcome, detail: `${outcome.detail ?? 'unhealthy'} (still unhealthy after ${probes} probes)` };
    }
    opts.onUnhealthy?.(outcome, probes);
    await sleep(Math.min(gap, remaining), opts.signal);
    if (opts.intervalMs === undefined) gap = Math.min(gap * 2, MAX_PROBE_GAP_MS);
  }
}

async function probeOnce(probe: () => Promise<VerifyOutcome>, signal: AbortSignal): Promise<VerifyOutcome> {
  try {
    return await probe();
  } catch (err) {
    if (signal.aborted || err instanceof PermanentDeployError) throw err;
    return { healthy: false, detail: `probe failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}
