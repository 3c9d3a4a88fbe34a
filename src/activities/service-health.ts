/**
 * A service's own `health_check`: one probe of its URL, which verify repeats (probeUntilHealthy in
 * converge.ts) after the executor's verify said healthy, until the service answers as expected or
 * `verify_timeout` passes. A probe never throws for an unhealthy service — refused, timed out or
 * the wrong status are all just "not yet" — only for cancellation.
 */
import type { VerifyOutcome } from '../api/workflow-types';
import { describeFetchError } from '../executors/http/fetch-error';
import { parseDuration, type ServiceHealthCheckSpec } from '../manifest/schema';

export async function probeHealthCheck(check: ServiceHealthCheckSpec, signal: AbortSignal): Promise<VerifyOutcome> {
  const timeoutMs = parseDuration(check.timeout);
  const timeout = AbortSignal.timeout(timeoutMs);
  const what = `GET ${check.url}`;
  const started = Date.now();
  let status: number;
  try {
    // Manual redirects: a health endpoint that redirects (to a login page, say) is not answering itself.
    const response = await fetch(check.url, { signal: AbortSignal.any([signal, timeout]), redirect: 'manual' });
    status = response.status;
    // Only the status matters; release the connection instead of reading a body nobody looks at.
    await response.body?.cancel();
  } catch (err) {
    signal.throwIfAborted();
    const why = timeout.aborted ? `no answer within ${timeoutMs} ms` : describeFetchError(err);
    return { healthy: false, detail: `${what} → ${why}` };
  }
  return {
    healthy: status === check.expected_status,
    detail: `${what} → ${status} (expected ${check.expected_status}) in ${Date.now() - started} ms`,
  };
}
