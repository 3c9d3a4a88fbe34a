/**
 * The deployment manifest's schema: the one definition of what a manifest may say.
 *
 * Pure (zod only): imported by the CLI, the worker and workflow code alike, so it must never
 * import Node built-ins. Durations stay strings here ("30s", "500ms", "2m") so that the manifest
 * round-trips unchanged through workflow history; `parseDuration` turns them into milliseconds.
 */
import { z } from 'zod';
import { SERVICE_TYPES, type ServiceType } from '../api/service-types';
import { reservedSpecialtyProblem } from '../api/task-queues';
import { secretReferenceSchema } from '../secrets/reference';

/** "250ms", "30s", "5m", "1h"; a bare number is milliseconds. */
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

export const durationSchema = z
  .union([z.string(), z.number()])
  .refine((v) => (typeof v === 'number' ? v >= 0 : DURATION_PATTERN.test(v.trim())), {
    message: 'expected a duration such as "500ms", "30s", "5m" or "1h"',
  });

export type Duration = z.infer<typeof durationSchema>;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a duration that already passed the schema. */
export function parseDuration(value: Duration): number {
  if (typeof value === 'number') return value;
  const match = DURATION_PATTERN.exec(value.trim());
  if (!match) throw new RangeError(`not a duration: ${JSON.stringify(value)}`);
  return Math.round(Number(match[1]) * UNIT_MS[match[2] ?? 'ms']);
}

/** Names are used in workflow IDs, resource IDs and URLs: keep them DNS-label-like. */
export const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const nameSchema = z
  .string()
  .regex(NAME_PATTERN, { message: 'use lowercase letters, digits and "-" (e.g. "backend-api")' })
  .max(63);

export { SERVICE_TYPES };
export const EXECUTORS = ['simulated', 'shell', 'opentofu', 'http', 'kubectl', 'helm'] as const;
export type ExecutorName = (typeof EXECUTORS)[number];

/**
 * The executor a service runs on when it names none and has no `simulate` block. Types missing
 * here have no real executor yet: such a service must name one (shell serves docker and
 * monitoring) or be simulated; the preflight says so, `plan` does not (availability is the
 * worker's business, not the manifest's).
 */
export const DEFAULT_EXECUTOR_BY_TYPE: Partial<Record<ServiceType, ExecutorName>> = {
  terraform: 'opentofu',
  kubernetes: 'kubectl',
  shell: 'shell',
  http: 'http',
};
/** What `executor` holds for a service whose type has no default and that named none. */
export const UNASSIGNED_EXECUTOR = 'unassigned';

/**
 * Explicit `executor` wins; a `simulate` block means the simulated cloud; otherwise the type's
 * default. Nothing ends up simulated unless the manifest says so.
 */
export function defaultExecutor(service: { type: ServiceType; simulate?: unknown }): ExecutorName | typeof UNASSIGNED_EXECUTOR {
  if (service.simulate !== undefined) return 'simulated';
  return DEFAULT_EXECUTOR_BY_TYPE[service.type] ?? UNASSIGNED_EXECUTOR;
}

export const retrySchema = z.strictObject({
  /** Attempts per step, the first one included. */
  max_attempts: z.number().int().min(1).max(100).default(3),
  initial_interval: durationSchema.default('1s'),
  /** Multiplier between attempts. */
  backoff: z.number().min(1).max(10).default(2),
  maximum_interval: durationSchema.default('1m'),
  /** Spread retries by up to ±20% so many services failing together do not retry in lockstep. */
  jitter: z.boolean().default(true),
});
export type RetrySpec = z.infer<typeof retrySchema>;

/** 10 attempts, 2s doubling to a 1-minute cap: 2+4+8+16+32+60+60+60+60 s ≈ 5 min of waiting. */
export const ROLLBACK_RETRY_DEFAULTS = { max_attempts: 10, initial_interval: '2s', maximum_interval: '1m' } as const;

/** Faults and timings for the simulated executor (the embedded demo and the test double). */
/**
 * A specialty task queue name (`infra`, `shell`, `gpu`…): a service's steps run on the Temporal task
 * queue `<main queue>-<specialty>`, `main` being the deployment's own queue. See src/api/task-queues.ts.
 */
export const specialtySchema = z
  .string()
  .regex(NAME_PATTERN, { message: 'expected a queue name of lowercase letters, digits and hyphens, such as "infra" or "gpu" ("main": the deployment\'s own queue)' })
  .superRefine((name, ctx) => {
    const reserved = reservedSpecialtyProblem(name);
    if (reserved) ctx.addIssue({ code: 'custom', message: reserved });
  });

/**
 * Per-provider resilience (a provider is an executor's target: the simulated cloud, an HTTP host, a
 * cluster…). Every field optional: unset fields take RESILIENCE_DEFAULTS (src/api/resilience.ts),
 * a service's own block overrides the deployment's field by field.
 */
export const resilienceSchema = z.strictObject({
  /** Name the provider explicitly (services sharing it share its breaker and budget). */
  provider: z.string().min(1).max(200).optional(),
  breaker: z
    .strictObject({
      /** Consecutive transient failures, across services and deployments, that open the breaker. 0 disables it. */
      failures: z.number().int().min(0).max(1000).optional(),
      /** How long it stays open before one half-open probe is let through. */
      cool_down: durationSchema.optional(),
    })
    .optional(),
  retry_budget: z
    .strictObject({
      /** Retries may be at most this share of the provider's recent calls (0–1); beyond it they are delayed, not sent. 1 disables it. */
      ratio: z.number().min(0).max(1).optional(),
      /** What "recent" means. */
      window: durationSchema.optional(),
      /** Below this many calls in the window, retries are never delayed (a cold provider). */
      min_calls: z.number().int().min(0).max(100000).optional(),
    })
    .optional(),
});
export type ResilienceSpec = z.infer<typeof resilienceSchema>;

export const simulateSchema = z.strictObject({
  duration: durationSchema.default('1s'),
  /** The first N apply calls of this deployment's service fail with a retryable error. */
  fail_transient: z.number().int().min(0).default(0),
  /** Apply fails with a non-retryable error. */
  fail_permanent: z.boolean().default(false),
  /** Compensation (rollback of this service) fails. */
  fail_compensation: z.boolean().default(false),
  /** The first N verify probes answer unhealthy: a service that takes a while to converge. */
  unhealthy_probes: z.number().int().min(0).default(0),
  /** Healthy at first, unhealthy this long after its apply: a release going bad during the bake window. */
  unhealthy_after: durationSchema.optional(),
});
export type SimulateSpec = z.infer<typeof simulateSchema>;

/** Free-form executor configuration: a path/reference string or a map of values. */
export const configSchema = z.union([z.string(), z.record(z.string(), z.unknown())]);
export type ServiceConfig = z.infer<typeof configSchema>;

/** A per-service HTTP health check, polled by verify after apply until healthy or `verify_timeout`. */
export const serviceHealthCheckSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: 'expected an absolute http(s) URL such as "http://127.0.0.1:8080/health"' }),
  expected_status: z.number().int().min(100).max(599).default(200),
  /** Pause between probes while it is not healthy yet. */
  interval: durationSchema.default('1s'),
  /** Bounds one probe. */
  timeout: durationSchema.default('5s'),
});
export type ServiceHealthCheckSpec = z.infer<typeof serviceHealthCheckSchema>;

/**
 * A manual judgment before the service starts (Spinnaker's manual judgment stage): only this
 * service's branch waits; `tugboat approve` / `reject` answer it, `timeout` decides when nobody does.
 */
export const approvalSchema = z.strictObject({
  required: z.boolean().default(true),
  /** How long the request stays open. */
  timeout: durationSchema.default('30m'),
  /** What an unanswered request becomes: reject fails the service (the failure policy applies). */
  on_timeout: z.enum(['reject', 'approve']).default('reject'),
  /** Send an `approval_escalation` notice this long before the deadline (none when absent). */
  notify_before: durationSchema.optional(),
  /** fail: a rejection fails the service; halt: its branch waits for a fix and a new approval. */
  on_reject: z.enum(['fail', 'halt']).default('fail'),
});
export type ApprovalSpec = z.infer<typeof approvalSchema>;

const serviceObjectSchema = z.strictObject({
  name: nameSchema,
  type: z.enum(SERVICE_TYPES),
  dependencies: z.array(z.string()).default([]),
  config: configSchema.optional(),
  /** What is being deployed: an image tag, a module ref, a chart version… */
  version: z.string().min(1).optional(),
  /** Defaults from `type` (terraform → opentofu, kubernetes → kubectl, shell → shell, http → http) or `simulate` (→ simulated). */
  executor: z.enum([...EXECUTORS, UNASSIGNED_EXECUTOR]).optional(),
  /** Bounds one attempt of one step (apply, verify), never the whole service. */
  timeout: durationSchema.default('5m'),
  retry: retrySchema.prefault({}),
  /**
   * The compensation's own policy, independent of `retry`: a rollback should ride out a short
   * throttling episode without a person, so the default is generous (backoff capped at a minute,
   * about seven minutes in all).
   */
  rollback_retry: retrySchema.prefault(ROLLBACK_RETRY_DEFAULTS),
  /** How long verify keeps probing a service that is not healthy yet before it counts as unhealthy. */
  verify_timeout: durationSchema.default('2m'),
  /** Names of external resources this service modifies; two unordered services may not share one. */
  resources: z.array(z.string().min(1)).default([]),
  /** On rollback: restore the previous state, or keep what was deployed (e.g. a database). */
  on_rollback: z.enum(['restore', 'retain']).default('restore'),
  simulate: simulateSchema.optional(),
  health_check: serviceHealthCheckSchema.optional(),
  approval: approvalSchema.optional(),
  /** The specialty queue its steps run on (default: by executor, see src/api/task-queues.ts). */
  task_queue: specialtySchema.optional(),
  resilience: resilienceSchema.optional(),
});

export const serviceSchema = serviceObjectSchema.transform((service) => ({
  ...service,
  executor: service.executor ?? defaultExecutor(service),
}));
export type ServiceSpec = z.infer<typeof serviceSchema>;
export type ServiceInput = z.input<typeof serviceSchema>;

export const healthCheckSchema = z.strictObject({
  endpoint: z.url({ protocol: /^https?$/, message: 'expected an absolute http(s) URL such as "https://api.example.com/health"' }),
  expected_status: z.number().int().min(100).max(599).default(200),
  timeout: durationSchema.default('5s'),
  retries: z.number().int().min(0).max(20).default(3),
});
export type HealthCheckSpec = z.infer<typeof healthCheckSchema>;

export const strategySchema = z.strictObject({
  /** Children running at once. */
  max_parallel: z.number().int().min(1).max(1000).default(10),
  /** eager: a service starts when its own dependencies are done; waves: when the whole previous wave is. */
  execution: z.enum(['eager', 'waves']).default('eager'),
  /**
   * What a failed service does to the rest. rollback: undo everything (the default);
   * halt: start nothing new, keep what succeeded, wait for retry, rollback or accept;
   * continue: independent branches go on, dependents are SKIPPED, the deployment ends PARTIAL;
   * rollback-subgraph: like continue, and the failed service itself is undone.
   */
  on_failure: z.enum(['rollback', 'halt', 'continue', 'rollback-subgraph']).default('rollback'),
  /** After every service succeeded, keep watching health this long; a failing check rolls back. */
  bake: durationSchema.optional(),
  /** Circuit breaker and retry budget per provider, for every service (each may override). */
  resilience: resilienceSchema.optional(),
});
export type StrategySpec = z.infer<typeof strategySchema>;

export const NOTIFY_EVENTS = [
  'approval_needed',
  'approval_escalation',
  'halted',
  'partial',
  'rolled_back',
  'rollback_blocked',
  'succeeded',
  'failed',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** A JSON POST (Slack-compatible `text` plus structured fields) when one of `on` happens. */
export const notifySchema = z.strictObject({
  /**
   * The receiver's URL, or a secret reference to it (`{ secret: env:SLACK_WEBHOOK }`): a webhook's
   * path is often its token, and a reference keeps it out of workflow history.
   */
  webhook: z.union([
    z.url({ protocol: /^https?$/, message: 'expected an absolute http(s) URL such as "https://hooks.slack.com/services/…", or { secret: env:NAME }' }),
    secretReferenceSchema,
  ]),
  on: z.array(z.enum(NOTIFY_EVENTS)).min(1).default([...NOTIFY_EVENTS]),
});
export type NotifySpec = z.infer<typeof notifySchema>;

export const deploymentSchema = z.strictObject({
  name: nameSchema,
  environment: nameSchema,
  strategy: strategySchema.prefault({}),
  services: z.array(serviceSchema).min(1, { message: 'a deployment needs at least one service' }),
  rollback_strategy: z.enum(['automated', 'manual']).default('automated'),
  health_checks: z.array(healthCheckSchema).default([]),
  notify: z.array(notifySchema).default([]),
  /** Overrides the executor → specialty queue mapping for this deployment, e.g. { opentofu: infra-eu, shell: main }. */
  task_queues: z.partialRecord(z.enum(EXECUTORS), specialtySchema).optional(),
});
export type DeploymentSpec = z.infer<typeof deploymentSchema>;

export const manifestSchema = z.strictObject({ deployment: deploymentSchema });
/** A validated manifest with every default filled in. */
export type Manifest = z.infer<typeof manifestSchema>;
/** What a user may write (defaults optional). */
export type ManifestInput = z.input<typeof manifestSchema>;
