/**
 * What every executor that keeps a service-state record does the same way: which record a service
 * has, how its config is read, what apply writes and reports on a re-run, what snapshot() hands to
 * a rollback, and what a restore writes back.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { ApplyOutcome } from '../api/workflow-types';
import { formatPath } from '../manifest/errors';
import type { ServiceSpec } from '../manifest/schema';
import { SecretBag } from '../secrets/resolve';
import type { ServiceStateKey, ServiceStateRecord, ServiceStateStore } from '../state/types';
import { PermanentDeployError } from './errors';
import type { DeploymentRef, ExecutorContext, PreviousState } from './types';

/** Who made a restored record, when the snapshot does not say (it was not taken from one of our records). */
export const UNKNOWN_DEPLOYMENT = 'unknown';

type Outcome = ApplyOutcome['outcome'];

/** Kept in the detail of every record apply writes: which step wrote it, what that step found, and what it applied. */
export interface AppliedBy {
  idempotencyKey: string;
  outcome: Outcome;
  /** configHash() of the service as applied (absent from records written before issue 10): what tells a config change. */
  configHash?: string;
}

/**
 * What an apply was asked to do, beside its `version`: the executor, the type, the config (output
 * references already resolved, secret references as written — never their values), the simulated
 * cloud's `simulate` block (sent with the apply) and the directory config paths are relative to.
 * A change to any of them redeploys; retries, timeouts, health checks and approvals do not.
 */
export function configHash(service: Pick<ServiceSpec, 'executor' | 'type' | 'config' | 'simulate'>, baseDir: string): string {
  const applied = { executor: service.executor, type: service.type, config: service.config ?? null, simulate: service.simulate ?? null, baseDir };
  return `sha256:${createHash('sha256').update(canonicalJson(applied)).digest('hex')}`;
}

/** The config hash a record's apply kept, if it kept one. */
export function appliedConfigHash(record: Pick<ServiceStateRecord, 'detail'> | undefined): string | undefined {
  return appliedBy(record?.detail)?.configHash;
}

/** The step that wrote a record, if apply wrote it. */
export function appliedStep(record: Pick<ServiceStateRecord, 'detail'> | undefined): string | undefined {
  return appliedBy(record?.detail)?.idempotencyKey;
}

/** JSON with every object's keys sorted, so equal values always hash alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A service's record: one per deployment name, environment and service, whichever deployment wrote it. */
export function stateKey({ deployment, service }: { deployment: Pick<DeploymentRef, 'name' | 'environment'>; service: Pick<ServiceSpec, 'name'> }): ServiceStateKey {
  return { name: deployment.name, environment: deployment.environment, service: service.name };
}

/** The executor's own record for the service: a record another executor wrote is not its to read. */
export async function ownRecord(store: ServiceStateStore, key: ServiceStateKey, executor: string): Promise<ServiceStateRecord | undefined> {
  const record = await store.getServiceState(key);
  return record?.executor === executor ? record : undefined;
}

/**
 * The service's config, defaults filled in. Plan has checked it against the same schema, so a
 * failure here is a manifest that bypassed plan: permanent, naming each field.
 */
export function parseConfig<S extends z.ZodType>(service: ServiceSpec, executor: string, schema: S): z.output<S> {
  const parsed = schema.safeParse(service.config);
  if (parsed.success) return parsed.data;
  const problems = configIssues(parsed.error).map((i) => `${i.path}: ${i.message}`);
  throw new PermanentDeployError(`${service.name} has no valid ${executor} config: ${problems.join('; ')}`);
}

/** Each problem of a config that failed its schema, at its path (`config.wait.timeout`): what a preflight reports too. */
export function configIssues(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((i) => ({ path: formatPath(['config', ...i.path.map((s) => (typeof s === 'symbol' ? String(s) : s))]), message: i.message }));
}

/**
 * The outcome apply reports: a re-run of the same step (the same idempotency key: its worker died
 * after the record was saved) reports what the first run found; any other run, `fresh`.
 */
export function applyOutcome(before: ServiceStateRecord | undefined, ctx: Pick<ExecutorContext, 'idempotencyKey'>, fresh: Outcome): Outcome {
  const applied = appliedBy(before?.detail);
  return applied?.idempotencyKey === ctx.idempotencyKey ? applied.outcome : fresh;
}

/** The record apply saves: this deployment's, with the step, its outcome and the config hash beside the executor's own detail. */
export function appliedRecord<D extends object>(
  ctx: ExecutorContext,
  executor: string,
  applied: Pick<ServiceStateRecord, 'version' | 'outputs' | 'resources'>,
  outcome: Outcome,
  detail: D,
): ServiceStateRecord & { detail: D & AppliedBy } {
  return {
    deploymentId: ctx.deploymentId,
    executor,
    ...applied,
    detail: { ...detail, idempotencyKey: ctx.idempotencyKey, outcome, configHash: configHash(ctx.service, ctx.deployment.baseDir) },
    savedAt: new Date().toISOString(),
  };
}

/** What snapshot() returns for a record: the whole record as detail, so a restore writes it back as it was. */
export function snapshotOf(record: ServiceStateRecord | undefined): PreviousState | null {
  if (!record) return null;
  return { version: record.version, outputs: record.outputs, resources: record.resources, detail: record };
}

/** The record snapshot() read, if the snapshot holds one (it may come from another executor, or be older). */
export function snapshotRecord(previous: PreviousState): ServiceStateRecord | undefined {
  const r = previous.detail as Partial<ServiceStateRecord> | null | undefined;
  const isRecord =
    typeof r === 'object' && r !== null && typeof r.deploymentId === 'string' && typeof r.executor === 'string' && Array.isArray(r.resources);
  return isRecord ? (r as ServiceStateRecord) : undefined;
}

/**
 * What a restore writes back: the snapshot's record, owned by the deployment that made it (the
 * orphan check counts what the rolled-back deployment owns: never this one, whose change was just
 * undone). A snapshot that holds no record keeps its detail, owned by an unknown deployment.
 * `observed` replaces what the executor read back from the world after restoring.
 */
export function restoredRecord(
  previous: PreviousState,
  executor: string,
  observed: Partial<Pick<ServiceStateRecord, 'outputs' | 'resources'>> = {},
): ServiceStateRecord {
  const saved = snapshotRecord(previous);
  return {
    deploymentId: saved?.deploymentId ?? UNKNOWN_DEPLOYMENT,
    executor: saved?.executor ?? executor,
    version: previous.version,
    outputs: observed.outputs ?? previous.outputs,
    resources: observed.resources ?? previous.resources,
    detail: saved ? saved.detail : previous.detail,
    savedAt: saved?.savedAt ?? new Date().toISOString(),
  };
}

/**
 * A context for read-only work outside a step (inventory): no heartbeats, no idempotency to keep,
 * secrets from the worker's environment.
 */
export function readOnlyContext(env: NodeJS.ProcessEnv, deployment: DeploymentRef, service: ServiceSpec, signal: AbortSignal): ExecutorContext {
  return {
    deployment,
    service,
    deploymentId: deployment.id,
    idempotencyKey: `${deployment.id}:${service.name}:inventory`,
    signal,
    heartbeat: () => undefined,
    log: () => undefined,
    secrets: new SecretBag(env, deployment.baseDir),
  };
}

function appliedBy(detail: unknown): AppliedBy | undefined {
  const d = detail as Partial<AppliedBy> | null | undefined;
  const known = typeof d === 'object' && d !== null && typeof d.idempotencyKey === 'string' && typeof d.outcome === 'string';
  return known ? (d as AppliedBy) : undefined;
}
