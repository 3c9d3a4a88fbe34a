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

/** Beat at least every second, and at least three times per heartbeat timeout. */
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
  const timeoutMs = activity.info.heartbeatTimeoutMs ?? 0;
  const timer = setInterval(beat, timeoutMs > 0 ? Math.min(HEARTBEAT_EVERY_MS, timeoutMs / 3) : HEARTBEAT_EVERY_MS);
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
    throw toFailure(err, input, attempt, activity);
  } finally {
    clearInterval(timer);
  }
}

function toFailure(err: unknown, input: StepInput, attempt: number, activity: Context): unknown {
  // Cancellation the workflow asked for must surface as cancellation; an abort for any other
  // reason (the worker shutting down) is a retryable interruption.
  const { cancellationSignal: signal } = activity;
  if (signal.aborted && activity.cancellationDetails?.cancelRequested) {
    return signal.reason instanceof CancelledFailure ? signal.reason : err;
  }
  if (signal.aborted) {
    return ApplicationFailure.create({
      type: FailureTypes.transient,
      message: `interrupted (${describeAbort(activity)}); the step will be retried with the same idempotency key`,
      nextRetryDelay: nextRetryDelayMs(input.service.retry, attempt),
    });
  }
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

function describeAbort(activity: Context): string {
  const d = activity.cancellationDetails;
  if (d?.workerShutdown) return 'worker shutting down';
  if (d?.timedOut) return 'timed out';
  if (d?.paused) return 'paused';
  if (d?.notFound) return 'no longer known to the server';
  return 'aborted';
}
