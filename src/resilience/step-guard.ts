/**
 * Which provider one step calls and under which settings, and how a call's end counts for the
 * provider. Used by the step runner (src/activities/step-runner.ts).
 */
import { CancelledFailure } from '@temporalio/common';
import type { Context } from '@temporalio/activity';
import type { StepInput } from '../api/workflow-types';
import { PermanentDeployError } from '../executors/errors';
import type { Executor } from '../executors/types';
import { SecretResolutionError } from '../secrets/resolve';
import type { StateStore } from '../state/types';
import { ProviderGuard } from './guard';
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
