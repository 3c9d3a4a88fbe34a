/**
 * The bake window (`strategy.bake`): after every service succeeded, keep watching health for that
 * long — one activity that probes in rounds and heartbeats, not a workflow timer per probe, so the
 * workflow's history stays small however long the window. Each round asks every service (its
 * `health_check` URL when it has one, else its executor's own read-only verify) and every
 * deployment-level `health_checks` entry; the first unhealthy answer ends the window with the
 * target and what it answered, and the workflow rolls the release back.
 *
 * What counts as unhealthy: one failed probe of a service; for a deployment-level check, as at
 * deploy time, a failure that persists through its `retries` (retries + 1 failures in a row).
 * A retried activity resumes from its last heartbeat: the round count, the consecutive failures
 * and the window's start (so a retry does not restart the window).
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes, idempotencyKey, type BakeInput, type BakeResult, type VerifyOutcome } from '../api/workflow-types';
import type { Executor } from '../executors/types';
import { parseDuration, type HealthCheckSpec, type ServiceSpec } from '../manifest/schema';
import { abortableSleep } from '../system/sleep';
import type { ActivityDependencies } from './index';
import { probeHealthCheck } from './service-health';
import { executorContext } from './step-runner';

/** Pause between rounds, unless a service's health_check asks for a shorter interval. */
export const BAKE_INTERVAL_MS = 5_000;
/** No round starts sooner than this after the previous one, whatever an interval says. */
export const MIN_BAKE_INTERVAL_MS = 250;
/** An executor's verify may be costly (tofu init and show, a kubectl round trip): at most this often. */
export const EXECUTOR_VERIFY_EVERY_MS = 15_000;
/** Beat at least this often between rounds (and three times per heartbeat timeout). */
const HEARTBEAT_EVERY_MS = 1_000;

/** What every heartbeat carries: `status` shows `detail`; a retry resumes from the rest. */
export interface BakeHeartbeat {
  round: number;
  detail: string;
  /** Epoch ms the window opened (its first attempt's start). */
  startedAtMs: number;
  /** Consecutive failures per deployment-level check (by its index), for `retries`. */
  failures: Record<string, number>;
}

export interface BakeOptions {
  /** Tests shorten it; production keeps the default. */
  executorVerifyEveryMs?: number;
}

/** The pause between rounds: 5 s, or the smallest service health_check interval if smaller, never under 250 ms. */
export function bakeIntervalMs(input: Pick<BakeInput, 'services'>): number {
  const intervals = input.services.flatMap((s) => (s.health_check ? [parseDuration(s.health_check.interval)] : []));
  return Math.max(MIN_BAKE_INTERVAL_MS, Math.min(BAKE_INTERVAL_MS, ...intervals));
}

interface Answer {
  /** Undefined: not asked this round (an executor verify asked recently). */
  healthy?: boolean;
  /** `<target>: <what it answered>`. */
  detail: string;
}

interface Target {
  probe(signal: AbortSignal): Promise<Answer>;
}

export async function bakeRelease(deps: ActivityDependencies, input: BakeInput, opts: BakeOptions = {}): Promise<BakeResult> {
  const activity = Context.current();
  const signal = activity.cancellationSignal;
  const resumed = resumedFrom(activity.info.heartbeatDetails);
  // A retry without a heartbeat: the window opened when the first attempt was scheduled.
  const startedAtMs = resumed?.startedAtMs ?? (activity.info.attempt > 1 ? activity.info.scheduledTimestampMs : Date.now());
  const endsAtMs = startedAtMs + input.durationMs;
  const failures: Record<string, number> = { ...resumed?.failures };
  let round = resumed?.round ?? 0;
  let latest: BakeHeartbeat = {
    round,
    detail: resumed ? `resumed at round ${round}` : `watching ${describeTargets(input)} for ${input.durationMs} ms`,
    startedAtMs,
    failures,
  };
  const beat = () => activity.heartbeat(latest);
  beat();
  const heartbeatTimeoutMs = activity.info.heartbeatTimeoutMs ?? 0;
  const timer = setInterval(beat, heartbeatTimeoutMs > 0 ? Math.min(HEARTBEAT_EVERY_MS, heartbeatTimeoutMs / 3) : HEARTBEAT_EVERY_MS);
  try {
    const targets = [
      ...input.services.map((service) => serviceTarget(deps, input, service, opts.executorVerifyEveryMs ?? EXECUTOR_VERIFY_EVERY_MS)),
      ...input.healthChecks.map((check, index) => endpointTarget(check, index, failures)),
    ];
    const intervalMs = bakeIntervalMs(input);
    for (;;) {
      signal.throwIfAborted();
      round += 1;
      const answers = await Promise.all(targets.map((t) => t.probe(signal)));
      const failed = answers.find((a) => a.healthy === false);
      if (failed) {
        latest = { ...latest, round, detail: `round ${round}: ${failed.detail}`, failures: { ...failures } };
        beat();
        return { healthy: false, checks: round, detail: failed.detail };
      }
      const remaining = endsAtMs - Date.now();
      latest = {
        ...latest,
        round,
        detail: `round ${round}: healthy (${answers.filter((a) => a.healthy).length} answered)` + (remaining > 0 ? `, ${Math.ceil(remaining / 1000)} s left` : ''),
        failures: { ...failures },
      };
      beat();
      if (remaining <= 0) return { healthy: true, checks: round };
      await abortableSleep(Math.min(intervalMs, remaining), signal);
    }
  } catch (err) {
    // Cancellation surfaces as itself (Temporal's CancelledFailure), whatever was running.
    if (signal.aborted) throw signal.reason ?? err;
    throw err;
  } finally {
    clearInterval(timer);
  }
}

/** A service: its health_check URL each round, else its executor's verify at most every `verifyEveryMs`. */
function serviceTarget(deps: ActivityDependencies, input: BakeInput, service: ServiceSpec, verifyEveryMs: number): Target {
  const check = service.health_check;
  if (check) {
    return {
      async probe(signal) {
        const outcome = await probeHealthCheck(check, signal);
        return { healthy: outcome.healthy, detail: `${service.name}: ${outcome.detail ?? ''}` };
      },
    };
  }
  const executor = executorFor(deps, service);
  let lastAskedAt: number | undefined;
  return {
    async probe(signal) {
      if (lastAskedAt !== undefined && Date.now() - lastAskedAt < verifyEveryMs) return { detail: `${service.name}: not asked this round` };
      lastAskedAt = Date.now();
      const outcome = await verifyOnce(deps, input, service, executor, signal);
      return { healthy: outcome.healthy, detail: `${service.name}: ${outcome.detail ?? (outcome.healthy ? 'healthy' : 'unhealthy')}` };
    },
  };
}

/**
 * The executor's own verify, read-only, bounded by the service's `timeout`. Its key is the verify
 * step's: executors that count probes per key (the simulated cloud's `unhealthy_probes`) see the
 * same service they verified at deploy time. A verify that cannot answer is an unhealthy answer.
 */
async function verifyOnce(deps: ActivityDependencies, input: BakeInput, service: ServiceSpec, executor: Executor, signal: AbortSignal): Promise<VerifyOutcome> {
  const timeoutMs = parseDuration(service.timeout);
  const timeout = AbortSignal.timeout(timeoutMs);
  const ctx = executorContext(
    { deploymentId: input.deploymentId, service, idempotencyKey: idempotencyKey(input.deploymentId, service.name, 'verify'), deployment: input.deployment },
    {
      env: deps.env,
      // The bake's own beat carries the round; an executor's progress lines are not needed here.
      onHeartbeat: () => undefined,
      logFields: { step: 'bake', service: service.name },
      signal: AbortSignal.any([signal, timeout]),
    },
  );
  try {
    return ctx.secrets.redactDeep(await executor.verify(ctx));
  } catch (err) {
    signal.throwIfAborted();
    const why = timeout.aborted ? `no answer within ${timeoutMs} ms` : ctx.secrets.redact(err instanceof Error ? err.message : String(err));
    return { healthy: false, detail: `verify failed: ${why}` };
  }
}

/** A deployment-level check: unhealthy once it failed `retries + 1` times in a row. */
function endpointTarget(check: HealthCheckSpec, index: number, failures: Record<string, number>): Target {
  const key = String(index);
  const spec = { url: check.endpoint, expected_status: check.expected_status, timeout: check.timeout, interval: BAKE_INTERVAL_MS };
  return {
    async probe(signal) {
      const outcome = await probeHealthCheck(spec, signal);
      const label = `health_checks[${index}]`;
      if (outcome.healthy) {
        failures[key] = 0;
        return { healthy: true, detail: `${label}: ${outcome.detail ?? ''}` };
      }
      failures[key] = (failures[key] ?? 0) + 1;
      const allowed = check.retries + 1;
      const inARow = `${failures[key]} of ${allowed} failures in a row`;
      return failures[key] >= allowed
        ? { healthy: false, detail: `${label}: ${outcome.detail ?? 'unhealthy'} (${inARow})` }
        : { healthy: true, detail: `${label}: ${outcome.detail ?? 'unhealthy'} (${inARow}; tolerated)` };
    },
  };
}

function executorFor(deps: ActivityDependencies, service: ServiceSpec): Executor {
  try {
    return deps.executors.get(service.executor);
  } catch (err) {
    // This worker cannot watch the service at all: not a health answer, and a retry here will not help.
    throw ApplicationFailure.create({
      type: FailureTypes.permanent,
      message: `cannot watch ${service.name} during the bake window: ${err instanceof Error ? err.message : String(err)}`,
      nonRetryable: true,
    });
  }
}

function describeTargets(input: BakeInput): string {
  const checks = input.healthChecks.length;
  return `${input.services.length} service(s)` + (checks ? ` and ${checks} health check(s)` : '');
}

function resumedFrom(details: unknown): BakeHeartbeat | undefined {
  const d = details as Partial<BakeHeartbeat> | undefined;
  if (typeof d?.round !== 'number' || typeof d.startedAtMs !== 'number') return undefined;
  return { round: d.round, detail: String(d.detail ?? ''), startedAtMs: d.startedAtMs, failures: { ...d.failures } };
}
