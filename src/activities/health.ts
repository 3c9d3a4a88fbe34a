/** The manifest's deployment-level health checks: real HTTP requests, retried by Temporal. */
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { HealthResult } from '../api/progress';
import { FailureTypes } from '../api/workflow-types';
import { parseDuration, type HealthCheckSpec } from '../manifest/schema';

export async function checkEndpoint(check: HealthCheckSpec): Promise<HealthResult> {
  const { attempt } = Context.current().info;
  const timeout = AbortSignal.timeout(parseDuration(check.timeout));
  const signal = AbortSignal.any([timeout, Context.current().cancellationSignal]);
  let status: number;
  try {
    const response = await fetch(check.endpoint, { signal, redirect: 'manual' });
    status = response.status;
    await response.body?.cancel();
  } catch (err) {
    throw ApplicationFailure.retryable(
      `${check.endpoint}: ${err instanceof Error ? err.message : String(err)}`,
      FailureTypes.unhealthy,
    );
  }
  if (status !== check.expected_status) {
    throw ApplicationFailure.retryable(
      `${check.endpoint} answered ${status}, expected ${check.expected_status}`,
      FailureTypes.unhealthy,
    );
  }
  return { target: check.endpoint, healthy: true, status, checkedAt: new Date().toISOString(), attempts: attempt };
}
