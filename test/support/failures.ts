/** The ApplicationFailure a failed deployment workflow closed with (its details carry the result). */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { DeploymentResult } from '../../src/api/progress';

export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

export async function failedResult(promise: Promise<unknown>): Promise<{ failure: ApplicationFailure; result: DeploymentResult }> {
  const failure = await failureOf(promise);
  return { failure, result: failure.details?.[0] as DeploymentResult };
}
