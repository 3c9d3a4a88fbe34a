/**
 * Desired state: redeploying what already runs changes nothing. Before apply touches anything, the
 * service's `version` and config are compared with the live state — the executor's snapshot, and
 * the service's state record (what the last apply in this environment applied, with its config
 * hash). When both say the service already runs them, apply is not called and the outcome is
 * `unchanged`: no mutating call, no intent in the ledger.
 *
 * decideUnchanged is the pure rule; applyUnlessUnchanged reads the world and either returns
 * `unchanged` or applies (recording the intent itself, and the service's record when its executor
 * keeps none, so the next deployment can compare).
 */
import type { ApplyOutcome } from '../api/workflow-types';
import type { ServiceSpec } from '../manifest/schema';
import { appliedConfigHash, appliedRecord, appliedStep, configHash, snapshotRecord, stateKey } from '../executors/service-record';
import type { Executor, ExecutorContext, PreviousState } from '../executors/types';
import type { DeploymentRecord, ServiceStateRecord, StateStore } from '../state/types';

export type UnchangedDecision = { unchanged: true } | { unchanged: false; reason: string };

export interface UnchangedFacts {
  /** The deployment about to apply. */
  deploymentId: string;
  service: Pick<ServiceSpec, 'name' | 'version' | 'executor'>;
  /** configHash() of the service as this deployment would apply it. */
  configHash: string;
  /** The executor's snapshot: null when the service does not exist. */
  live: PreviousState | null;
  /** The service's state record in this environment, if any. */
  record: ServiceStateRecord | undefined;
  /** How the service ended in the deployment that wrote the record (its deployment record), if recorded. */
  endedAs: string | undefined;
}

/** How a service ends when what it applied stays: a record written by any other end is not a state to keep. */
const KEPT_STATES = new Set(['SUCCEEDED', 'RETAINED']);

/**
 * Unchanged only when every fact agrees: the service has a version; it exists and runs that
 * version; its record is the last apply of another deployment (a re-run of this deployment's own
 * apply reports what that apply did), by the same executor, of the same version and config; that
 * deployment recorded the service as succeeded (or retained); and the live state is that record's
 * (the snapshot names the deployment that made it). Anything unknown means apply: applying again
 * is always safe, skipping wrongly is not.
 */
export function decideUnchanged(f: UnchangedFacts): UnchangedDecision {
  const { version } = f.service;
  if (version === undefined) return changed('it has no version, so what runs cannot be compared with it');
  if (!f.live) return changed('it does not exist');
  if (f.live.version !== version) return changed(`it runs ${f.live.version ?? 'an unknown version'}, not ${version}`);
  const record = f.record;
  if (!record) return changed('no record of its last apply in this environment');
  if (record.deploymentId === f.deploymentId) return changed('this deployment applied it already (a re-run reports what that apply did)');
  if (record.executor !== f.service.executor) return changed(`its last apply was by the ${record.executor} executor, not ${f.service.executor}`);
  if (record.version !== version) return changed(`its last recorded apply was of ${record.version ?? 'no version'}`);
  const owner = liveOwner(f.live);
  if (owner === undefined) return changed('its live state does not say which deployment made it');
  if (owner !== record.deploymentId) return changed(`its live state is ${owner}'s, not that of its last recorded apply (${record.deploymentId})`);
  const applied = appliedConfigHash(record);
  if (applied === undefined) return changed('its last apply recorded no config hash');
  if (applied !== f.configHash) return changed('its config changed');
  // An executor writes its record before the step ends: the step may still have failed after it
  // (its verify, an output refused), and a deployment that did not roll it back left that behind.
  if (f.endedAs === undefined) return changed(`${record.deploymentId}, which applied it last, has no deployment record saying how it ended`);
  if (!KEPT_STATES.has(f.endedAs)) return changed(`it ended ${f.endedAs} in ${record.deploymentId}, which applied it last`);
  return { unchanged: true };
}

function changed(reason: string): UnchangedDecision {
  return { unchanged: false, reason };
}

/**
 * Which deployment made the live state, as the snapshot says: a record it was read from
 * (shell, http, OpenTofu), a record it holds beside what it read from the world (kubectl, Helm
 * when the record names the live revision), or the world's own owner field (the simulated cloud).
 */
export function liveOwner(live: PreviousState): string | undefined {
  const own = snapshotRecord(live);
  if (own) return own.deploymentId;
  const detail = live.detail as { record?: unknown; deploymentId?: unknown } | null | undefined;
  if (typeof detail !== 'object' || detail === null) return undefined;
  const held = detail.record !== undefined ? snapshotRecord({ ...live, detail: detail.record }) : undefined;
  if (held) return held.deploymentId;
  return typeof detail.deploymentId === 'string' ? detail.deploymentId : undefined;
}

/** The outcome of a service found unchanged: what runs, as the snapshot has it. */
export function unchangedOutcome(version: string, live: PreviousState): ApplyOutcome {
  return {
    outcome: 'unchanged',
    version,
    outputs: live.outputs,
    resources: live.resources.map((r) => ({ id: r.id, kind: r.kind })),
  };
}

/** What the decision reads and an apply writes in the state store. */
export type DesiredStateStore = Pick<StateStore, 'getServiceState' | 'saveServiceState' | 'getDeploymentRecord' | 'recordIntent' | 'confirmIntent'>;

export interface DesiredStateDeps {
  executor: Executor;
  /**
   * Service state records and deployment records (read for the decision), the intent ledger (an
   * apply records its intent before and confirms it after; `unchanged` records none), and the
   * service's record after apply when its executor keeps none.
   */
  store: DesiredStateStore;
  /** Temporal's attempt number, for the ledger entry. */
  attempt: number;
  /** false: the step's input named no deployment (a run older than scopes): its environment is unknown, so it always applies. */
  scoped: boolean;
}

/** Reads the live state and decides; never throws for a read that fails (it applies instead). */
export async function findUnchanged(ctx: ExecutorContext, deps: DesiredStateDeps): Promise<{ decision: UnchangedDecision; live: PreviousState | null }> {
  const { service } = ctx;
  if (!deps.scoped) return { decision: changed('the step does not name its environment'), live: null };
  if (service.version === undefined) return { decision: changed('it has no version, so what runs cannot be compared with it'), live: null };
  try {
    const [live, record] = await Promise.all([deps.executor.snapshot(ctx, ctx.signal), deps.store.getServiceState(stateKey(ctx))]);
    const endedAs = record ? serviceEnd(await deps.store.getDeploymentRecord(record.deploymentId), service.name) : undefined;
    const facts = { deploymentId: ctx.deploymentId, service, configHash: configHash(service, ctx.deployment.baseDir), live, record, endedAs };
    return { decision: decideUnchanged(facts), live };
  } catch (err) {
    // Cancellation stays cancellation; any other failure to read only means we cannot skip.
    if (ctx.signal.aborted) throw err;
    const why = `cannot read its live state (${err instanceof Error ? err.message : String(err)})`;
    return { decision: changed(why), live: null };
  }
}

/** apply, unless the live state already runs this version with this config. */
export async function applyUnlessUnchanged(ctx: ExecutorContext, deps: DesiredStateDeps): Promise<ApplyOutcome> {
  const { service } = ctx;
  const { decision, live } = await findUnchanged(ctx, deps);
  if (decision.unchanged && live && service.version !== undefined) {
    ctx.log(`apply ${service.name}: unchanged, ${service.version} already runs with this config`);
    return unchangedOutcome(service.version, live);
  }
  if (!decision.unchanged) ctx.log(`apply ${service.name}: applying (${decision.reason})`);

  // What the step runner's ledger does for other steps, here because only apply knows whether it
  // has a side effect: a crash between intent and confirmation leaves a record, never an untracked resource.
  await deps.store.recordIntent({ idempotencyKey: ctx.idempotencyKey, deploymentId: ctx.deploymentId, service: service.name, step: 'apply', attempt: deps.attempt });
  const result = await deps.executor.apply(ctx);
  if (deps.scoped) await rememberApply(ctx, deps.store, result);
  await deps.store.confirmIntent(ctx.idempotencyKey, ctx.deploymentId, {
    resources: result.resources.map((r) => ({ id: r.id, kind: r.kind })),
    outcome: result.outcome,
  });
  return result;
}

/**
 * The service's record after an apply. Executors that keep one (shell, http, OpenTofu, kubectl,
 * Helm) wrote it with the config hash (appliedRecord); for one that keeps none (the simulated
 * cloud) this writes it, never over another executor's record.
 */
export async function rememberApply(ctx: ExecutorContext, store: Pick<StateStore, 'getServiceState' | 'saveServiceState'>, result: ApplyOutcome): Promise<void> {
  const key = stateKey(ctx);
  const record = await store.getServiceState(key);
  if (appliedStep(record) === ctx.idempotencyKey) return;
  if (record && record.executor !== ctx.service.executor) return;
  const applied = {
    version: result.version,
    // Outputs pass the same redaction as the step's result: a secret's value never lands in a record.
    outputs: ctx.secrets.redactDeep(result.outputs),
    resources: result.resources.map((r) => ({ id: r.id, kind: r.kind })),
  };
  await store.saveServiceState(key, appliedRecord(ctx, ctx.service.executor, applied, result.outcome, {}));
}

/** How the service ended in a deployment, as its record says (undefined: no record, or not in it). */
export function serviceEnd(record: DeploymentRecord | undefined, service: string): string | undefined {
  return record?.services[service]?.state;
}
