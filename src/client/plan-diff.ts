/**
 * `tugboat plan --diff`: what deploying a manifest would change, against the live state. Each
 * service is compared as apply would compare it (activities/unchanged.ts): its executor's snapshot
 * and its state record. Executors whose snapshot is a cheap read (the simulated cloud's HTTP API,
 * the records of shell, http and OpenTofu) are asked; kubectl and Helm would need the cluster and
 * their tools, so the stored record stands in for them, and the output says so. Services of the
 * environment's last deployment that the manifest no longer has are listed too.
 *
 * diffManifest and renderPlanDiff are pure; readEnvironmentState does the reading (never a write).
 */
import { withTimeout } from '../system/timeout';
import path from 'node:path';
import { decideUnchanged, serviceEnd } from '../activities/unchanged';
import { configHash, stateKey } from '../executors/service-record';
import type { DeploymentRef, Executor, ExecutorDependencies, PreviousState } from '../executors/types';
import { httpExecutor } from '../executors/http';
import { opentofuExecutor } from '../executors/opentofu';
import { shellExecutor } from '../executors/shell';
import { simulatedExecutor } from '../executors/simulated';
import { resolveReferences, UnresolvedReferenceError, findReferences } from '../manifest/references';
import type { Manifest, ServiceSpec } from '../manifest/schema';
import type { DeploymentRecord, ServiceStateRecord, StateStore } from '../state/types';
import { tugboatHome } from '../system/paths';
import { withLocalStateStore } from './local-store';
import { DEFAULT_SIMCLOUD_URL } from '../worker/config';

/** What is known of one service in the environment. */
export interface ServiceLiveState {
  /** The executor's snapshot, or the record standing in for it (null: absent). */
  live: PreviousState | null;
  record: ServiceStateRecord | undefined;
  /** How the service ended in the deployment that wrote the record (its deployment record). */
  endedAs?: string;
  /** live: the executor's own read; record: the stored record stands in, for `why`. */
  source: 'live' | 'record';
  why?: string;
}

export interface EnvironmentState {
  /** Where the records were read (a state dir). */
  store: string;
  services: Record<string, ServiceLiveState>;
  /** The environment's newest deployment record. */
  last?: DeploymentRecord;
}

export type Change = 'create' | 'update' | 'unchanged' | 'remove';

export interface ServiceChange {
  service: string;
  change: Change;
  /** The version that runs (null: none or unknown). Absent for `create`. */
  from?: string | null;
  /** The manifest's version. Absent for `remove`. */
  to?: string | null;
  /** Why it is updated (or, for `remove`, what becomes of it). */
  reason?: string;
  /** What the comparison read: the live state or, for `record`, only the last stored record. */
  source?: 'live' | 'record';
  /** When this holds only if upstream services keep their outputs. */
  caveat?: string;
}

export interface PlanDiff {
  name: string;
  environment: string;
  store: string;
  last?: { deploymentId: string; phase: string; startedAt: string; endedAt: string; requestedBy?: string };
  services: ServiceChange[];
  /** Services compared with their last record only, and why. */
  fromRecord: Array<{ service: string; why: string }>;
}

/** Never an ID a record can hold: plan compares as a deployment that has not applied anything. */
const PLAN_ID = 'plan';

/**
 * Each service in plan order, compared as apply would: its config is resolved with the outputs its
 * upstream services have now (a service that will change may change them: the caveat says so).
 */
export function diffManifest(manifest: Manifest, order: string[], baseDir: string, state: EnvironmentState): PlanDiff {
  const { name, environment, services } = manifest.deployment;
  const byName = new Map(services.map((s) => [s.name, s]));
  const outputs: Record<string, Record<string, string>> = {};
  const changes = new Map<string, ServiceChange>();
  for (const serviceName of order) {
    const service = byName.get(serviceName)!;
    const known = state.services[serviceName] ?? { live: null, record: undefined, source: 'live' as const };
    if (known.live) outputs[serviceName] = known.live.outputs;
    changes.set(serviceName, compare(service, baseDir, known, outputs, changes));
  }
  const removed = removedServices(state.last, byName);
  const last = state.last && {
    deploymentId: state.last.deploymentId,
    phase: state.last.phase,
    startedAt: state.last.startedAt,
    endedAt: state.last.endedAt,
    ...(state.last.requestedBy ? { requestedBy: state.last.requestedBy } : {}),
  };
  const fromRecord = services.flatMap(({ name: s }) => {
    const known = state.services[s];
    return known?.source === 'record' ? [{ service: s, why: known.why ?? 'the live state was not read' }] : [];
  });
  // Decided in plan order (upstream outputs first), listed in the manifest's order.
  const listed = services.map((s) => changes.get(s.name)!);
  return { name, environment, store: state.store, ...(last ? { last } : {}), services: [...listed, ...removed], fromRecord };
}

function compare(
  service: ServiceSpec,
  baseDir: string,
  known: ServiceLiveState,
  outputs: Record<string, Record<string, string>>,
  upstream: Map<string, ServiceChange>,
): ServiceChange {
  const to = service.version ?? null;
  const base = { service: service.name, to, source: known.source };
  if (!known.live) return { ...base, change: 'create' };
  const from = known.live.version;
  let resolved: ServiceSpec;
  try {
    resolved = { ...service, config: service.config && resolveReferences(service.config, outputs) };
  } catch (err) {
    if (!(err instanceof UnresolvedReferenceError)) throw err;
    return { ...base, change: 'update', from, reason: `its config reads services.${err.service}.outputs.${err.output}, which does not exist yet` };
  }
  const decision = decideUnchanged({
    deploymentId: PLAN_ID,
    service,
    configHash: configHash(resolved, baseDir),
    live: known.live,
    record: known.record,
    endedAs: known.endedAs,
  });
  if (!decision.unchanged) return { ...base, change: 'update', from, reason: decision.reason };
  // Compared with the outputs upstream services have now: one that is about to change may change them.
  const changing = [...new Set(findReferences(service.config).map((r) => r.service))].filter((s) => upstream.get(s)?.change !== 'unchanged');
  return {
    ...base,
    change: 'unchanged',
    from,
    ...(changing.length > 0 ? { caveat: `unless ${changing.join(', ')} ${changing.length === 1 ? 'changes its' : 'change their'} outputs` } : {}),
  };
}

/** In the last deployment, not in this manifest: a deploy leaves them as they are. */
function removedServices(last: DeploymentRecord | undefined, inManifest: Map<string, ServiceSpec>): ServiceChange[] {
  if (!last) return [];
  return Object.entries(last.services)
    .filter(([service]) => !inManifest.has(service))
    .map(([service, s]) => ({
      service,
      change: 'remove' as const,
      from: s.version ?? null,
      reason: `was ${s.state} in ${last.deploymentId}; not in this manifest, so a deploy leaves it as it is`,
    }));
}

const SYMBOL: Record<Change, string> = { create: '+', update: '~', unchanged: '=', remove: '-' };

export function renderPlanDiff(diff: PlanDiff): string {
  const lines = [`${diff.name} → ${diff.environment}: what a deploy would change (state store ${diff.store})`];
  const last = diff.last;
  lines.push(
    last
      ? `last deployment: ${last.deploymentId} ${last.phase}, ${last.startedAt} → ${last.endedAt}${last.requestedBy ? ` by ${last.requestedBy}` : ''}`
      : 'last deployment: none recorded for this environment',
  );
  const width = Math.max(...diff.services.map((s) => s.service.length), 8);
  for (const s of diff.services) lines.push(`  ${SYMBOL[s.change]} ${s.service.padEnd(width)}  ${describe(s)}`);
  // One note per reason: a simulated cloud that is down explains every simulated service at once.
  const byWhy = new Map<string, string[]>();
  for (const r of diff.fromRecord) byWhy.set(r.why, [...(byWhy.get(r.why) ?? []), r.service]);
  for (const [why, services] of byWhy) lines.push(`  from the last record: ${services.join(', ')} (${why})`);
  const count = (c: Change) => diff.services.filter((s) => s.change === c).length;
  const removed = count('remove');
  lines.push(
    `${count('create')} to create, ${count('update')} to update, ${count('unchanged')} unchanged` +
      (removed > 0 ? `, ${removed} no longer in the manifest (left as they are)` : ''),
  );
  return lines.join('\n');
}

function describe(s: ServiceChange): string {
  const v = (version: string | null | undefined) => version ?? '(no version)';
  switch (s.change) {
    case 'create':
      return `create ${v(s.to)}`;
    case 'unchanged':
      return `${v(s.to)} unchanged${s.caveat ? ` (${s.caveat})` : ''}`;
    case 'remove':
      return `${v(s.from)}: ${s.reason}`;
    case 'update':
      if (s.to === null || s.to === undefined) return 'no version: applied on every deploy';
      return s.from !== s.to ? `${v(s.from)} → ${s.to}` : `${s.to} (${s.reason})`;
  }
}

/** Executors whose snapshot is a cheap read-only call: no tool, no cluster. */
const CHEAP_SNAPSHOTS = [simulatedExecutor, shellExecutor, httpExecutor, opentofuExecutor];

export interface ReadStateOptions {
  store: StateStore;
  /** The manifest file's directory, as a deploy from it passes it. */
  baseDir: string;
  simCloudUrl: string;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /** Bounds each snapshot (default 5 s). */
  timeoutMs?: number;
}

/** Reads (never writes) each service's record and, where cheap, its executor's snapshot. */
export async function readEnvironmentState(manifest: Manifest, opts: ReadStateOptions): Promise<EnvironmentState> {
  const { name, environment, services } = manifest.deployment;
  const deps: ExecutorDependencies = { simCloudUrl: opts.simCloudUrl, dataDir: opts.dataDir, serviceState: opts.store, env: opts.env ?? process.env };
  const executors = new Map<string, Executor>(CHEAP_SNAPSHOTS.map((f) => [f.name, f.create(deps)]));
  const deployment: DeploymentRef = { id: PLAN_ID, name, environment, baseDir: opts.baseDir };
  const [last] = await opts.store.listDeploymentRecords({ name, environment });
  const entries = await Promise.all(
    services.map(async (service): Promise<[string, ServiceLiveState]> => {
      const record = await opts.store.getServiceState(stateKey({ deployment, service }));
      const endedAs = record ? serviceEnd(await opts.store.getDeploymentRecord(record.deploymentId), service.name) : undefined;
      const executor = executors.get(service.executor);
      const fromRecord = (why: string): [string, ServiceLiveState] => [service.name, { live: recordAsLive(record), record, endedAs, source: 'record', why }];
      if (!executor) {
        const needs = service.executor === 'kubectl' || service.executor === 'helm' ? `${service.executor} and the cluster` : 'its tools';
        return fromRecord(`plan does not read ${service.executor}'s live state: that needs ${needs}`);
      }
      try {
        const live = await withTimeout(executor.snapshot({ deployment, service }, AbortSignal.timeout(opts.timeoutMs ?? 5_000)), opts.timeoutMs ?? 5_000, 'its executor');
        return [service.name, { live, record, endedAs, source: 'live' }];
      } catch (err) {
        // One reason for every simulated service (the cloud is down), so the output says it once.
        if (service.executor === 'simulated') {
          return fromRecord(`the simulated cloud at ${opts.simCloudUrl} did not answer; start it (tugboat sim-cloud) or set TUGBOAT_SIMCLOUD_URL`);
        }
        return fromRecord(`its live state could not be read: ${err instanceof Error ? err.message : String(err)}`);
      }
    }),
  );
  return { store: opts.store.location, services: Object.fromEntries(entries), ...(last ? { last } : {}) };
}

/** A record read as the live state: what its last apply left, owned by the deployment that made it. */
function recordAsLive(record: ServiceStateRecord | undefined): PreviousState | null {
  return record ? { version: record.version, outputs: record.outputs, resources: record.resources, detail: record } : null;
}

/** The directory a deploy of this manifest file passes as its base (config paths start there). */
export function manifestBaseDir(manifestPath: string): string {
  return path.dirname(path.resolve(manifestPath));
}

/**
 * What `tugboat plan --diff` prints: the diff of the manifest at `manifestPath` against the state
 * in TUGBOAT_HOME (and the simulated cloud at TUGBOAT_SIMCLOUD_URL), as text or JSON.
 */
export async function planDiffOutput(manifestPath: string, manifest: Manifest, order: string[], json: boolean, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const baseDir = manifestBaseDir(manifestPath);
  const state = await withLocalStateStore(
    (store) =>
      readEnvironmentState(manifest, {
        store,
        baseDir,
        simCloudUrl: env.TUGBOAT_SIMCLOUD_URL?.trim() || DEFAULT_SIMCLOUD_URL,
        dataDir: tugboatHome(env),
        env,
      }),
    env,
  );
  const diff = diffManifest(manifest, order, baseDir, state);
  return json ? JSON.stringify(diff) : renderPlanDiff(diff);
}
