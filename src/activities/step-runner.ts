/**
 * What every executor step shares: heartbeats while the step runs, cancellation wired to an
 * AbortSignal, and the executor's error classification mapped onto Temporal failure types.
 */
import { Context, CancelledFailure } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes, type StepInput } from '../api/workflow-types';
import { PermanentDeployError, TransientDeployError } from '../executors/errors';
import type { ExecutorContext } from '../executors/types';
import type { StateStore } from '../state';
import { nextRetryDelayMs } from './retry-delay';

/** Heartbeat well inside the 5 s heartbeat timeout; the SDK throttles what it sends. */
const HEARTBEAT_EVERY_MS = 1_000;

/** Steps with side effects pass the store: intent is recorded before, confirmed after. */
export interface StepOptions {
  store?: StateStore;
}

export async function runStep<T extends object>(
  step: string,
  input: StepInput,
  opts: StepOptions,
  work: (ctx: ExecutorContext) => Promise<T>,
): Promise<T> {
  const activity = Context.current();
  const { attempt } = activity.info;
  const ledgerKey = { idempotencyKey: input.idempotencyKey, deploymentId: input.deploymentId };
  const beat = () => activity.heartbeat({ step, service: input.service.name, attempt });
  beat();
  const timer = setInterval(beat, HEARTBEAT_EVERY_MS);
  const ctx: ExecutorContext = {
    deploymentId: input.deploymentId,
    service: input.service,
    idempotencyKey: input.idempotencyKey,
    signal: activity.cancellationSignal,
    heartbeat: (details) => activity.heartbeat(details ?? { step }),
    log: (message, fields) => activity.log.info(message, { ...fields, step, service: input.service.name, attempt }),
  };
  try {
    // A crash between intent and confirmation leaves a record, never an untracked resource.
    await opts.store?.recordIntent({ ...ledgerKey, service: input.service.name, step, attempt });
    const result = await work(ctx);
    await opts.store?.confirmIntent(ledgerKey.idempotencyKey, ledgerKey.deploymentId, {
      resources: (result as { resources?: Array<{ id: string; kind: string }> }).resources,
      outcome: (result as { outcome?: string }).outcome,
    });
    return result;
  } catch (err) {
    throw toFailure(err, input, attempt, activity.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}

function toFailure(err: unknown, input: StepInput, attempt: number, signal: AbortSignal): unknown {
  // Cancellation must surface as cancellation, not as a retryable error.
  if (signal.aborted) return signal.reason instanceof CancelledFailure ? signal.reason : err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof PermanentDeployError) {
    return ApplicationFailure.create({ type: FailureTypes.permanent, message, nonRetryable: true, cause: asError(err.cause) });
  }
  // Anything unclassified is treated as transient: retrying a bounded number of times is safe
  // because every step is idempotent.
  return ApplicationFailure.create({
    type: FailureTypes.transient,
    message: err instanceof TransientDeployError ? message : `unexpected error: ${message}`,
    nextRetryDelay: nextRetryDelayMs(input.service.retry, attempt),
  });
}

function asError(cause: unknown): Error | undefined {
  return cause instanceof Error ? cause : undefined;
}
