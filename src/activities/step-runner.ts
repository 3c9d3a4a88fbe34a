/**
 * What every executor step shares: heartbeats while the step runs, cancellation wired to an
 * AbortSignal, the executor's error classification mapped onto Temporal failure types, and the
 * step's own attempt accounting (attempts.ts): Temporal's attempt limit is only a backstop, the
 * service's max_attempts is enforced here, and attempts a worker shutdown handed back are free.
 * With the worker's executors, each attempt also asks its provider's circuit breaker and retry
 * budget first (src/resilience): an attempt they refuse is not sent, and not spent either.
 */
import { Context, CancelledFailure, type Info } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { FailureTypes, stepRetrySpec, type DeployStep, type StepAttempts, type StepInput } from '../api/workflow-types';
import { PermanentDeployError, TransientDeployError } from '../executors/errors';
import type { ExecutorContext } from '../executors/types';
import { SecretBag, SecretResolutionError } from '../secrets/resolve';
import { deploymentRef } from './deployment-ref';
import type { AttemptRecord, StateStore } from '../state';
import { spentBefore, trimMessage, withCurrent } from './attempts';
import { nextRetryDelayMs } from './retry-delay';
import { providerOutcomeOf, providerOutcomeOfResult, stepGuard, type ExecutorLookup } from '../resilience/step-guard';
import type { ProviderGuard } from '../resilience/guard';
import { refusalFailure } from '../resilience/refusal';

/** Beat at least every second, and at least three times per heartbeat timeout. */
const HEARTBEAT_EVERY_MS = 1_000;

/** Nothing failed when a step is handed back: another worker may pick it up at once. */
export const HANDED_BACK_RETRY_DELAY_MS = 1_000;

/**
 * Steps with side effects pass the store: intent is recorded before, confirmed after. With a store,
 * attempts are counted from its records; without one, every Temporal attempt counts as spent.
 */
export interface StepOptions {
  store?: StateStore;
  /** Where secret references are resolved from (the worker's environment unless a test injects one). */
  env?: NodeJS.ProcessEnv;
  /** false: count attempts in the store but record no intent (a step with no side effect: verify). */
  ledger?: boolean;
  /**
   * The worker's executors, to learn which provider the step calls: with a store, its circuit
   * breaker and retry budget then guard every attempt. Without them, calls go unguarded.
   */
  executors?: ExecutorLookup;
  /** How long the provider's shared state may take to answer before the call goes unguarded (tests shorten it). */
  providerHealthTimeoutMs?: number;
}

export async function runStep<T extends object>(
  step: DeployStep,
  input: StepInput,
  opts: StepOptions,
  work: (ctx: ExecutorContext) => Promise<T>,
): Promise<T & { attempts: StepAttempts }> {
  const activity = Context.current();
  const { attempt } = activity.info;
  const ledgerKey = { idempotencyKey: input.idempotencyKey, deploymentId: input.deploymentId };
  const maxAttempts = stepRetrySpec(input.service, step).max_attempts;
  const attempts = new AttemptLog(step, input, activity, opts.store);
  const before = await attempts.spentBefore();
  // Earlier attempts timed out (or their workers died) until none is left: stop before touching
  // the world again.
  if (before.attempts >= maxAttempts) {
    throw ApplicationFailure.create({
      type: FailureTypes.transient,
      message: `failed after ${before.attempts} attempts: ${before.lastFailure ?? 'no failure was recorded'}`,
      nonRetryable: true,
      details: [before],
    });
  }
  const guard =
    opts.store && opts.executors ? stepGuard(input, opts.store, opts.executors, activity, { timeoutMs: opts.providerHealthTimeoutMs }) : undefined;

  // The periodic beat repeats the executor's latest details (its last output line), so `status`
  // keeps showing what the step is doing between the executor's own beats. It names the provider,
  // so `status` can show that provider's breaker (the details outlive a refused attempt).
  let latest: Record<string, unknown> = {};
  const provider = guard ? { provider: guard.provider } : {};
  const beat = () => activity.heartbeat({ ...latest, step, service: input.service.name, attempt, ...provider });
  // A retry names its step and provider at once (status shows a failing step's breaker from it). A
  // first attempt beats from its first interval on: most steps end before it, and a beat is a
  // server write, two per service for nothing (BENCHMARKS.md).
  if (attempt > 1) beat();
  // Beating from here on: asking the provider's guard may wait for the shared state (a lock held elsewhere).
  const timeoutMs = activity.info.heartbeatTimeoutMs ?? 0;
  const timer = setInterval(beat, timeoutMs > 0 ? Math.min(HEARTBEAT_EVERY_MS, timeoutMs / 3) : HEARTBEAT_EVERY_MS);
  try {
    if (guard) await admitOrRefuse(guard, step, before, activity, attempts);
  } catch (refusal) {
    clearInterval(timer);
    // A refused attempt ends before its first interval: one beat, so status names the provider
    // and its breaker for as long as the step waits to retry.
    beat();
    throw refusal;
  }
  const ctx = executorContext(input, {
    env: opts.env,
    onHeartbeat: (details) => {
      latest = details;
      beat();
    },
    logFields: { step, service: input.service.name, attempt },
  });
  const { secrets } = ctx;
  try {
    // A crash between intent and confirmation leaves a record, never an untracked resource.
    const ledger = opts.ledger === false ? undefined : opts.store;
    await ledger?.recordIntent({ ...ledgerKey, service: input.service.name, step, attempt });
    // A script may echo a secret into its outputs: nothing resolved here leaves the activity.
    const result = secrets.redactDeep(await guarded(guard, step, activity, () => work(ctx)));
    refuseSecretOutputs(result, secrets);
    await ledger?.confirmIntent(ledgerKey.idempotencyKey, ledgerKey.deploymentId, {
      resources: (result as { resources?: Array<{ id: string; kind: string }> }).resources,
      outcome: (result as { outcome?: string }).outcome,
    });
    return { ...result, attempts: withCurrent(before) };
  } catch (err) {
    throw await toFailure(err, { step, input, maxAttempts, before, activity, attempts, secrets });
  } finally {
    clearInterval(timer);
  }
}

export interface ExecutorContextOptions {
  /** Where secret references are resolved from (the worker's environment unless a test injects one). */
  env?: NodeJS.ProcessEnv;
  /** Receives the executor's heartbeat details, secrets already redacted. */
  onHeartbeat(details: Record<string, unknown>): void;
  /** Added to every line the executor logs. */
  logFields: Record<string, unknown>;
  /** Replaces the activity's cancellation signal (to bound one call as well). */
  signal?: AbortSignal;
}

/**
 * What an executor call gets inside the current activity: its deployment and service, Temporal's
 * cancellation as an AbortSignal, and secrets resolved at the moment of use and redacted from
 * whatever it reports or logs. The steps use it, and so does the bake window's read-only verify.
 */
export function executorContext(input: StepInput, opts: ExecutorContextOptions): ExecutorContext {
  const activity = Context.current();
  const deployment = deploymentRef(input.deploymentId, input.deployment);
  const secrets = new SecretBag(opts.env ?? process.env, deployment.baseDir);
  return {
    deployment,
    deploymentId: input.deploymentId,
    service: input.service,
    idempotencyKey: input.idempotencyKey,
    signal: opts.signal ?? activity.cancellationSignal,
    heartbeat: (details) => opts.onHeartbeat(secrets.redactDeep(details ?? {})),
    log: (message, fields) => activity.log.info(secrets.redact(message), { ...secrets.redactDeep(fields), ...opts.logFields }),
    secrets,
  };
}

/**
 * Asks the provider's breaker and budget whether this attempt may go; a refusal ends the attempt
 * before anything is sent. It is recorded as handed back (attempts.ts does not count it against
 * max_attempts: the step did not fail, it was not allowed to try), so a step waits out an outage
 * instead of burning its attempts on it; Temporal's backstop (max_attempts plus
 * WORKER_INTERRUPTION_ALLOWANCE) bounds how often. Compensations are guarded by the breaker but
 * never delayed by the budget: a rollback's retries are the ones worth sending. Nor is a
 * compensation refused on the last attempt Temporal allows: a rollback that ended
 * ROLLBACK_BLOCKED without ever having called the provider would only have to be continued by
 * hand, so that attempt is sent anyway, unguarded, and its outcome counted as any call's.
 */
async function admitOrRefuse(guard: ProviderGuard, step: DeployStep, before: StepAttempts, activity: Context, attempts: AttemptLog): Promise<void> {
  const admission = await guard.admit({ retry: before.attempts > 0, delayable: step !== 'compensate' });
  if (admission.admitted) return;
  const final = isLastTemporalAttempt(activity.info);
  if (final && step === 'compensate') {
    guard.sendingAnyway(admission, `attempt ${activity.info.attempt} is the last Temporal allows this compensation`);
    return;
  }
  guard.refused(admission);
  const failure = refusalFailure(admission, {
    provider: guard.provider,
    health: guard.health,
    settings: guard.settings,
    now: Date.now(),
    final,
    details: [before],
  });
  await attempts.record('interrupted', trimMessage(failure.message));
  throw failure;
}

/** The server gives no attempt after this one (when it says what its retry policy is). */
function isLastTemporalAttempt(info: Info): boolean {
  const max = info.retryPolicy?.maximumAttempts;
  return max !== undefined && max > 0 && info.attempt >= max;
}

/** Runs the executor's call, telling the provider's guard how it ended (an unhealthy verify: neutral, see providerOutcomeOfResult). */
async function guarded<T>(guard: ProviderGuard | undefined, step: DeployStep, activity: Context, call: () => Promise<T>): Promise<T> {
  if (!guard) return call();
  let result: T;
  try {
    result = await call();
  } catch (err) {
    await guard.record(providerOutcomeOf(err, activity));
    throw err;
  }
  await guard.record(providerOutcomeOfResult(step, result));
  return result;
}

interface FailureContext {
  step: DeployStep;
  input: StepInput;
  maxAttempts: number;
  before: StepAttempts;
  activity: Context;
  attempts: AttemptLog;
  secrets: SecretBag;
}

/**
 * Every failure carries the step's StepAttempts as its first detail, so whichever one turns out to
 * be final (ours, or the last one Temporal's backstop allows) tells the workflow what was spent.
 */
async function toFailure(err: unknown, f: FailureContext): Promise<unknown> {
  const { activity, before } = f;
  const { cancellationSignal: signal } = activity;
  // Cancellation the workflow asked for must surface as cancellation; it spends nothing.
  if (signal.aborted && activity.cancellationDetails?.cancelRequested) {
    return signal.reason instanceof CancelledFailure ? signal.reason : err;
  }
  // The worker is stopping and its grace period ran out: hand the step back, unspent.
  if (signal.aborted && activity.cancellationDetails?.workerShutdown) {
    await f.attempts.record('interrupted');
    return ApplicationFailure.create({
      type: FailureTypes.transient,
      message:
        `handed back: the worker shut down during attempt ${activity.info.attempt}; another worker continues ` +
        `with the same idempotency key (not counted against max_attempts)`,
      nextRetryDelay: HANDED_BACK_RETRY_DELAY_MS,
      // Expected during every rolling restart: logged at DEBUG, not as a failed activity.
      category: ApplicationFailureCategory.BENIGN,
      details: [before],
    });
  }
  const message = trimMessage(f.secrets.redact(failureMessage(err, activity)));
  await f.attempts.record('failed', message);
  const spent = withCurrent(before, message);
  // A reference that cannot be resolved will not resolve on retry: the preflight's job, missed.
  if (err instanceof PermanentDeployError || err instanceof SecretResolutionError) {
    const cause = asError((err as Error).cause);
    return ApplicationFailure.create({
      type: FailureTypes.permanent,
      message,
      nonRetryable: true,
      // Its message may quote what the executor saw; its stack is no one's business in history.
      cause: cause && new Error(f.secrets.redact(cause.message)),
      details: [spent],
    });
  }
  // Anything unclassified is treated as transient: retrying a bounded number of times is safe
  // because every step is idempotent.
  if (spent.attempts >= f.maxAttempts) {
    return ApplicationFailure.create({
      type: FailureTypes.transient,
      message: `failed after ${spent.attempts} attempts: ${message}`,
      nonRetryable: true,
      details: [spent],
    });
  }
  return ApplicationFailure.create({
    type: FailureTypes.transient,
    message,
    // Backoff grows with spent attempts only: a hand-back is no reason to wait longer.
    nextRetryDelay: nextRetryDelayMs(stepRetrySpec(f.input.service, f.step), spent.attempts),
    details: [spent],
  });
}

/**
 * An output is passed on to dependents through workflow history: a secret's value there would be
 * both a leak and (redacted) a corrupt value. Refuse it, naming the output and the secret.
 */
function refuseSecretOutputs(result: object, secrets: SecretBag): void {
  const outputs = (result as { outputs?: Record<string, string> }).outputs ?? {};
  const labels = secrets.labels();
  for (const [key, value] of Object.entries(outputs)) {
    const label = [...labels].find((l) => typeof value === 'string' && value.includes(l));
    if (label) {
      throw new PermanentDeployError(
        `output "${key}" contains the value of ${label}; outputs travel through workflow history, so pass the secret to dependents by reference instead`,
      );
    }
  }
}

function failureMessage(err: unknown, activity: Context): string {
  if (activity.cancellationSignal.aborted) {
    return `interrupted (${describeAbort(activity)}); the step will be retried with the same idempotency key`;
  }
  const message = err instanceof Error ? err.message : String(err);
  return err instanceof TransientDeployError || err instanceof PermanentDeployError || err instanceof SecretResolutionError
    ? message
    : `unexpected error: ${message}`;
}

/** The store's records of this step's attempts, read and written without ever failing the step. */
class AttemptLog {
  private readonly execution: string;

  constructor(
    private readonly step: DeployStep,
    private readonly input: StepInput,
    private readonly activity: Context,
    private readonly store: StateStore | undefined,
  ) {
    this.execution = executionOf(activity.info);
  }

  /** Unknown (no store, or it cannot be read): every earlier attempt counts, the safe side. */
  async spentBefore(): Promise<StepAttempts> {
    const { attempt } = this.activity.info;
    if (!this.store) return { attempts: attempt - 1 };
    try {
      return spentBefore(await this.store.listAttempts(this.input.deploymentId, this.input.idempotencyKey), this.execution, attempt);
    } catch (err) {
      this.activity.log.warn('cannot read earlier attempts; counting every attempt as spent', { error: String(err) });
      return { attempts: attempt - 1 };
    }
  }

  /** A lost record only makes the attempt count as spent, so it must not fail the step. */
  async record(outcome: AttemptRecord['outcome'], message?: string): Promise<void> {
    if (!this.store) return;
    const record: AttemptRecord = {
      idempotencyKey: this.input.idempotencyKey,
      deploymentId: this.input.deploymentId,
      service: this.input.service.name,
      step: this.step,
      execution: this.execution,
      attempt: this.activity.info.attempt,
      outcome,
      ...(message === undefined ? {} : { message }),
      endedAt: new Date().toISOString(),
    };
    try {
      await this.store.recordAttempt(record);
    } catch (err) {
      this.activity.log.warn('cannot record how the attempt ended; it will count as spent', { outcome, error: String(err) });
    }
  }
}

/** One scheduling of the step: its workflow run and activity ID stay the same across retries. */
function executionOf(info: Info): string {
  return `${info.workflowExecution?.runId ?? info.activityRunId ?? 'standalone'}/${info.activityId}`;
}

function asError(cause: unknown): Error | undefined {
  return cause instanceof Error ? cause : undefined;
}

function describeAbort(activity: Context): string {
  const d = activity.cancellationDetails;
  if (d?.timedOut) return 'timed out';
  if (d?.paused) return 'paused';
  if (d?.notFound) return 'no longer known to the server';
  return 'aborted';
}
