/**
 * Attempt accounting, pure. Temporal counts every attempt of an activity; Tugboat counts only
 * the attempts a step *spent*: an attempt handed back because its worker was shutting down is not
 * the step's fault and must not use up the service's `max_attempts` (two rolling restarts would
 * otherwise fail a healthy release). Temporal's own limit is max_attempts plus
 * WORKER_INTERRUPTION_ALLOWANCE, a backstop for endless hand-backs.
 */
import type { StepAttempts } from '../api/progress';
import type { AttemptRecord } from '../state';

/** Longer messages are cut: the record is for people and for `status`, not a log. */
const MAX_MESSAGE_CHARS = 2_000;

/**
 * What the attempts before `attempt` of `execution` spent. An attempt with no record ended
 * without saying so — a heartbeat or start-to-close timeout, a killed worker — and is spent.
 */
export function spentBefore(records: AttemptRecord[], execution: string, attempt: number): StepAttempts {
  const ended = new Map<number, AttemptRecord>();
  for (const r of records) if (r.execution === execution) ended.set(r.attempt, r);
  let attempts = 0;
  let lastFailure: string | undefined;
  for (let n = 1; n < attempt; n++) {
    const record = ended.get(n);
    if (record?.outcome === 'interrupted') continue;
    attempts += 1;
    lastFailure = record?.message ?? `attempt ${n} did not report back (it timed out or its worker died)`;
  }
  return lastFailure === undefined ? { attempts } : { attempts, lastFailure };
}

/** The same attempts with the current one spent too (it succeeded, or failed with `failure`). */
export function withCurrent(before: StepAttempts, failure?: string): StepAttempts {
  const lastFailure = failure ?? before.lastFailure;
  return { attempts: before.attempts + 1, ...(lastFailure === undefined ? {} : { lastFailure }) };
}

export function trimMessage(message: string): string {
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…` : message;
}
