/**
 * Which provider one step calls and under which settings, and how a call's end counts for the
 * provider. Used by the step runner (src/activities/step-runner.ts).
 */
import { CancelledFailure } from '@temporalio/common';
import type { Context } from '@temporalio/activity';
import type { DeployStep, StepInput } from '../api/workflow-types';
import { PermanentDeployError } from '../executors/errors';
import type { Executor } from '../executors/types';
import { SecretResolutionError } from '../secrets/resolve';
import type { StateStore } from '../state/types';
import { ProviderGuard, type GuardOptions } from './guard';
import type { CallOutcome } from './health';
import { providerOf } from './provider';
import { settingsFor } from './settings';

/** The worker's executors, as far as the guard needs them: which provider a service's calls go to. */
export interface ExecutorLookup {
  get(name: string): Pick<Executor, 'provider'>;
}


export function stepGuard(
  input: StepInput,
  store: Pick<StateStore, 'updateProviderHealth'>,
  executors: ExecutorLookup,
  activity: Pick<Context, 'log' | 'metricMeter'>,
  opts: GuardOptions = {},
): ProviderGuard {
  // strategy.resilience, when the workflow passed it with the step's scope (older runs did not).
  const deployment = input.deployment?.resilience;
  let executor: Pick<Executor, 'provider'> | undefined;
  try {
    executor = executors.get(input.service.executor);
  } catch {
    executor = undefined; // no such executor on this worker: the step fails on its own, saying so
  }
  return new ProviderGuard(
    store,
    {
      provider: providerOf(input.service, executor, deployment),
      settings: settingsFor(deployment, input.service.resilience),
      key: input.idempotencyKey,
    },
    activity,
    opts,
  );
}

/**
 * What a failed call says about its provider. Transient: it failed or did not answer in time (any
 * unclassified error too, as the step runner retries those as transient). Neutral: the manifest's
 * fault (permanent, a secret that does not resolve), or the call was stopped from our side
 * (cancelled by the workflow, handed back by a stopping worker).
 */
export function providerOutcomeOf(err: unknown, activity: Pick<Context, 'cancellationSignal' | 'cancellationDetails'>): CallOutcome {
  if (activity.cancellationSignal.aborted) {
    const d = activity.cancellationDetails;
    // The attempt's own timeout: the provider did not answer in time.
    if (d?.timedOut) return 'transient';
    if (d?.cancelRequested || d?.workerShutdown || d?.paused || d?.reset) return 'neutral';
  }
  if (err instanceof PermanentDeployError || err instanceof SecretResolutionError || err instanceof CancelledFailure) return 'neutral';
  return 'transient';
}

/**
 * What a call that returned says about its provider. Any answer is a success (the provider
 * answered), except an unhealthy verify: verify probes until the service is healthy or its window
 * passes and turns each failed probe into one more unhealthy answer (converge.ts), so "unhealthy"
 * may mean the provider never answered, or that it did and the service's own health check did not
 * (its app, not the provider). Counted neutral, it neither closes the breaker (as a probe, it frees
 * the slot) nor resets its count of failures; it is not counted transient either, because one
 * service that will not start must not open the breaker of every service on its provider. The
 * outage itself is counted by the calls that fail: apply, compensate, and a verify probe that
 * throws out of the step (a timeout).
 */
export function providerOutcomeOfResult(step: DeployStep, result: unknown): CallOutcome {
  if (step === 'verify' && (result as { healthy?: unknown } | undefined)?.healthy !== true) return 'neutral';
  return 'success';
}
