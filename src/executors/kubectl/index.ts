/**
 * `executor: kubectl` (the default for `type: kubernetes`): server-side applies the service's
 * manifests as field manager `tugboat`, with the service's version in the listed images, generated
 * ConfigMaps and Secrets, and labels that tie every object to the deployment. Snapshot keeps each
 * object as it was (Secrets: only that they existed); a rollback deletes what this deployment
 * created and re-applies the previous state of what it changed, awaiting the workloads' rollouts.
 *
 * One rule decides what a compensation touches: an object whose `tugboat.dev/deployment-id`
 * annotation names this deployment (and whose service label is this service's) was changed by
 * it. Anything else (a namespace another service created, an object apply never reached after a
 * crash) is left as it is, and every step is idempotent: a re-run finds objects already gone or
 * already restored.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { ApplyOutcome, VerifyOutcome } from '../../api/workflow-types';
import { scanExpressions } from '../../manifest/references';
import { parseDuration, type ServiceSpec } from '../../manifest/schema';
import type { ServiceStateKey, ServiceStateRecord } from '../../state/types';
import { onceFound } from '../../tools/find-tool';
import { privateDir, withPrivateFile } from '../private-files';
import { findKubectl } from '../../tools/kubernetes';
import { PermanentDeployError } from '../errors';
import { kubernetesProvider } from '../../resilience/provider';
import { applyOutcome, appliedRecord, configIssues, ownRecord, parseConfig, readOnlyContext, restoredRecord, stateKey, UNKNOWN_DEPLOYMENT } from '../service-record';
import type {
  CompensationOutcome,
  DeploymentRef,
  Executor,
  ExecutorContext,
  ExecutorDependencies,
  ExecutorFactory,
  InventoryItem,
  InventoryReport,
  PreflightProblem,
  PreviousState,
  ServiceTarget,
} from '../types';
import { Kubectl } from './kubectl-cli';
import { manifestSource, readManifests } from './manifests';
import {
  DEPLOYMENT_ID_ANNOTATION,
  DEPLOYMENT_LABEL,
  describeRef,
  kubectlType,
  ownerLabels,
  ownerSelector,
  refOf,
  resourceRef,
  sameObject,
  SERVICE_LABEL,
  type KubeObject,
  type ObjectRef,
  type Owner,
} from './objects';
import { parseManifests, render, toManifestFile } from './render';
import { awaitRollouts, RestoreRolloutError, RolloutFailedError } from './rollout';
import { kubectlConfigSchema, normalizeKubectlConfig, type KubectlConfig } from './schema';
import { objectRefSchema, secretRelabel, snapshotDetailOf, snapshotEntry, type SnapshotDetail, type SnapshotEntry } from './snapshot';

const EXECUTOR = 'kubectl';
const KUBECTL_FIX = 'set TUGBOAT_KUBECTL_PATH to a kubectl binary, install kubectl on PATH, or run `tugboat dev-cluster` once (it builds kubectl into Tugboat\'s cache)';
const CLUSTER_FIX = 'point KUBECONFIG (and config.context) on the worker at a cluster it can reach, or start a local one with `tugboat dev-cluster`';
/** How long preflight gives the cluster to answer: a reachable API server answers in milliseconds. */
const PREFLIGHT_TIMEOUT_MS = 5_000;

/** What the service-state record keeps: the objects apply wrote (what verify awaits and a delete removes). */
const detailSchema = z.object({ objects: z.array(objectRefSchema) });
type KubectlDetail = z.infer<typeof detailSchema>;

export const kubectlExecutor: ExecutorFactory = {
  name: EXECUTOR,
  description:
    'Server-side applies Kubernetes manifests (files or a kustomization) with kubectl, the service\'s version as the image tag; ' +
    'verify awaits the workloads\' rollouts, and a rollback deletes what the deployment created and re-applies what it changed.',
  configSchema: kubectlConfigSchema,
  examples: [
    `- name: backend-api
  type: kubernetes
  version: v2.3.1
  config:
    manifests: ./k8s/backend
    namespace: shop
    images: { backend: registry.example.com/backend }
    config_maps:
      backend-config: { DATABASE_HOST: "\${{ services.database.outputs.endpoint }}" }
    secrets:
      backend-db: { PASSWORD: { secret: env:DB_PASSWORD } }
    wait: { timeout: 5m }`,
    `- name: frontend
  type: kubernetes
  config: ./k8s/frontend`,
  ],
  create: (deps) => new KubectlExecutor(deps),
};

class KubectlExecutor implements Executor {
  /** Found once, lazily, never built here: a step must not start a build of several minutes. */
  private readonly kubectlBinary: () => Promise<string>;

  constructor(private readonly deps: ExecutorDependencies) {
    this.kubectlBinary = onceFound(() => findKubectl({ env: deps.env, build: false }));
  }

  /** The cluster, as far as it is known without reading the kubeconfig: shared with helm services on it. */
  provider(service: ServiceSpec): string {
    return kubernetesProvider(configOf(service).context, this.deps.env);
  }

  async apply(ctx: ExecutorContext): Promise<ApplyOutcome> {
    const config = configOf(ctx.service);
    const key = stateKey(ctx);
    const before = await this.record(key);
    const kubectl = await this.kubectl(ctx, config);
    const owner = ownerOf(ctx, ctx.deploymentId);
    const createNamespace = config.namespace !== undefined && (await this.mayCreateNamespace(kubectl, config.namespace, owner));
    const objects = render(await this.manifests(kubectl, ctx, config), {
      config,
      version: ctx.service.version ?? null,
      owner,
      createNamespace,
      secretValues: await resolveSecrets(ctx, config),
    });
    // The server's answer names each object's namespace as it was resolved (cluster-scoped ones have none).
    const applied = await this.withPrivateFile(ctx, toManifestFile(objects), (file) => kubectl.apply(file, config.namespace));
    const refs = applied.map((o) => refOf(o));
    const outcome = applyOutcome(before, ctx, before ? 'updated' : 'created');
    const record = appliedRecord(
      ctx,
      EXECUTOR,
      { version: ctx.service.version ?? null, outputs: config.namespace ? { namespace: config.namespace } : {}, resources: refs.map(resourceRef) },
      outcome,
      { objects: refs } satisfies KubectlDetail,
    );
    await this.deps.serviceState.saveServiceState(key, record);
    ctx.log(`apply ${ctx.service.name}: ${outcome}, ${refs.length} objects`);
    return { outcome, version: record.version, outputs: record.outputs, resources: record.resources };
  }

  /** Each applied Deployment, StatefulSet and DaemonSet rolled out within `wait.timeout` (together); one that did not fails the service for good, with its reasons. */
  async verify(ctx: ExecutorContext): Promise<VerifyOutcome> {
    const config = configOf(ctx.service);
    const record = await this.record(stateKey(ctx));
    const detail = detailOf(record?.detail);
    if (!record || !detail) return { healthy: false, detail: 'no record of an apply: the manifests were not applied' };
    const kubectl = await this.kubectl(ctx, config);
    const done = await awaitRollouts(kubectl, detail.objects, { deadlineMs: Date.now() + parseDuration(config.wait.timeout), timeout: durationLabel(config.wait.timeout), failure: RolloutFailedError });
    return { healthy: true, version: record.version, detail: done.length ? `rolled out: ${done.join(', ')}` : `${detail.objects.length} objects applied, no workloads to await` };
  }

  async snapshot(target: ServiceTarget, signal: AbortSignal): Promise<PreviousState | null> {
    const config = configOf(target.service);
    const ctx = readOnlyContext(this.deps.env, target.deployment, target.service, signal);
    const kubectl = await this.kubectl(ctx, config);
    const objects: SnapshotEntry[] = [];
    for (const ref of await this.identities(kubectl, ctx, config)) objects.push(snapshotEntry(ref, await kubectl.get(ref)));
    const present = objects.filter((e) => e.state !== 'absent' && !isConfigNamespace(e.ref, config));
    // Nothing of the service exists (an existing namespace is not the service): a rollback deletes what the deployment creates.
    if (present.length === 0) return null;
    const record = await this.record(stateKey(target));
    const detail: SnapshotDetail = { objects, ...(record ? { record } : {}) };
    return { version: record?.version ?? null, outputs: record?.outputs ?? {}, resources: present.map((e) => resourceRef(e.ref)), detail };
  }

  async compensate(ctx: ExecutorContext, action: 'delete' | 'restore' | 'retain', previous: PreviousState | null): Promise<CompensationOutcome> {
    const key = stateKey(ctx);
    const record = await this.record(key);
    if (action === 'retain') return { action, outcome: 'retained', resources: record?.resources ?? [] };
    const config = configOf(ctx.service);
    const kubectl = await this.kubectl(ctx, config);
    const owner = ownerOf(ctx, ctx.deploymentId);
    const snapshot = previous && snapshotDetailOf(previous);
    if (action === 'restore' && previous && !snapshot) {
      throw new PermanentDeployError(`cannot restore ${ctx.service.name}: its previous state holds no kubectl snapshot`);
    }
    if (!snapshot) {
      // Nothing existed before: whatever this deployment's apply wrote goes (the record, or if apply died before writing it, the manifests).
      const ours = record?.deploymentId === ctx.deploymentId ? (detailOf(record.detail)?.objects ?? []) : [];
      // Manifests that are gone since (or broken) must not block the rollback of what the record names.
      const current = await this.identities(kubectl, ctx, config).catch((err: unknown) => {
        if (ours.length === 0 || ctx.signal.aborted) throw err;
        return [];
      });
      const deleted = await this.deleteOwned(ctx, kubectl, config, owner, union(ours, current));
      if (record?.deploymentId === ctx.deploymentId) await this.deps.serviceState.deleteServiceState(key);
      ctx.log(`compensate ${ctx.service.name}: deleted ${deleted.length} objects`);
      return { action, outcome: deleted.length ? 'deleted' : 'noop', resources: [] };
    }
    return this.restore(ctx, kubectl, config, owner, previous!, snapshot);
  }

  async inventory(deployment: DeploymentRef, services: ServiceSpec[], signal: AbortSignal): Promise<InventoryReport> {
    const report: InventoryReport = { items: [], unverifiable: [] };
    for (const service of services) {
      const ctx = readOnlyContext(this.deps.env, deployment, service, signal);
      try {
        const config = configOf(service);
        const kubectl = await this.kubectl(ctx, config);
        // The kinds the service has now and the kinds its last apply wrote (the manifests may have lost one since).
        const recorded = detailOf((await this.record(stateKey({ deployment, service })))?.detail)?.objects ?? [];
        const current = await this.identities(kubectl, ctx, config).catch(() => []);
        const types = [...new Set([...recorded, ...current].map(kubectlType))];
        for (const o of await kubectl.list(types, ownerSelector(ownerOf({ deployment, service }, deployment.id)))) {
          // Being deleted (a namespace a rollback removed, emptying itself): the cluster is taking it away, not losing it.
          if (o.metadata.deletionTimestamp) continue;
          const deploymentId = o.metadata.annotations?.[DEPLOYMENT_ID_ANNOTATION] ?? UNKNOWN_DEPLOYMENT;
          report.items.push({ ...resourceRef(refOf(o)), service: service.name, deploymentId } satisfies InventoryItem);
        }
      } catch (err) {
        if (signal.aborted) throw err;
        report.unverifiable!.push({ service: service.name, reason: (err as Error).message });
      }
    }
    return report;
  }

  async preflight({ deployment, service }: ServiceTarget, signal: AbortSignal): Promise<PreflightProblem[]> {
    const problems: PreflightProblem[] = [];
    const parsed = kubectlConfigSchema.safeParse(service.config);
    if (!parsed.success) {
      const fix = 'see the README section on the kubectl executor; `tugboat plan` checks the config too';
      return configIssues(parsed.error).map((issue) => ({ ...issue, fix }));
    }
    const config = normalizeKubectlConfig(parsed.data);
    const where = typeof service.config === 'string' ? 'config' : 'config.manifests';
    // A path holding an output reference is known only when the step runs.
    if (scanExpressions(config.manifests).length === 0) {
      await manifestSource(path.resolve(deployment.baseDir, config.manifests)).catch((err: Error) =>
        problems.push({ path: where, message: err.message, fix: `paths are relative to the manifest's directory (${deployment.baseDir})` }),
      );
    }
    const binary = await this.kubectlBinary().catch((err: Error) => {
      problems.push({ path: 'executor', message: err.message, fix: KUBECTL_FIX });
      return undefined;
    });
    if (!binary) return problems;
    const ctx = readOnlyContext(this.deps.env, deployment, service, signal);
    try {
      await new Kubectl(ctx, { binary, env: this.deps.env, context: config.context, graceMs: 1_000 }).version(PREFLIGHT_TIMEOUT_MS);
    } catch (err) {
      if (signal.aborted) throw err;
      const kubeconfig = this.deps.env.KUBECONFIG ? `KUBECONFIG=${this.deps.env.KUBECONFIG}` : 'KUBECONFIG is not set on the worker';
      const context = config.context ? `, context ${config.context}` : '';
      problems.push({ path: config.context ? 'config.context' : 'executor', message: `the Kubernetes cluster does not answer (${kubeconfig}${context}): ${(err as Error).message}`, fix: CLUSTER_FIX });
    }
    return problems;
  }

  /** Files with resolved Secret values a killed attempt left behind (a finished one removes its own). */
  async cleanup(deploymentId: string): Promise<void> {
    await fs.rm(this.workDir(deploymentId), { recursive: true, force: true });
  }

  /**
   * compensate(restore): what did not exist goes; what existed and this deployment changed gets
   * its previous state back (server-side applied, so fields this deployment added go too), and
   * restored workloads' rollouts are awaited. A Secret keeps this deployment's data: its previous
   * data was never stored; only its Tugboat labels go back, so the inventory no longer counts it.
   */
  private async restore(
    ctx: ExecutorContext,
    kubectl: Kubectl,
    config: KubectlConfig,
    owner: Owner,
    previous: PreviousState,
    snapshot: SnapshotDetail,
  ): Promise<CompensationOutcome> {
    const deleted = await this.deleteOwned(ctx, kubectl, config, owner, snapshot.objects.filter((e) => e.state === 'absent').map((e) => e.ref));
    const toApply: KubeObject[] = [];
    const restoredBefore: ObjectRef[] = [];
    const keptSecrets: string[] = [];
    for (const entry of snapshot.objects) {
      if (entry.state === 'absent') continue;
      const live = await kubectl.get(entry.ref);
      if (live && !isOwned(live, owner)) {
        // Back as the snapshot had it (an earlier attempt of this compensation applied it, then died or
        // timed out waiting): its rollout is still to be awaited. Anything else was changed by someone
        // else, or never reached by this deployment's apply: not ours to undo.
        if (entry.state === 'present' && deploymentIdOf(live) === deploymentIdOf(entry.object)) restoredBefore.push(entry.ref);
        continue;
      }
      if (entry.state === 'present') toApply.push(entry.object);
      else if (live) {
        const { labels, annotations } = secretRelabel(entry);
        await kubectl.relabel(entry.ref, labels, annotations);
        keptSecrets.push(describeRef(entry.ref));
      }
    }
    if (toApply.length) await this.withPrivateFile(ctx, toManifestFile(toApply), (file) => kubectl.apply(file, undefined));
    const deadlineMs = Date.now() + parseDuration(config.wait.timeout);
    const toAwait = [...toApply.map((o) => refOf(o)), ...restoredBefore];
    const rolledOut = await awaitRollouts(kubectl, toAwait, { deadlineMs, timeout: durationLabel(config.wait.timeout), failure: RestoreRolloutError });
    const { record } = snapshot;
    if (record) await this.deps.serviceState.saveServiceState(stateKey(ctx), restoredRecord({ ...previous, detail: record }, EXECUTOR));
    else if ((await this.record(stateKey(ctx)))?.deploymentId === ctx.deploymentId) await this.deps.serviceState.deleteServiceState(stateKey(ctx));
    ctx.log(
      `compensate ${ctx.service.name}: restored ${toApply.length} objects${rolledOut.length ? ` (rolled out: ${rolledOut.join(', ')})` : ''}, ` +
        `deleted ${deleted.length} this deployment created`,
    );
    // The outcome says what a person must know: a Secret was not put back.
    const kept = keptSecrets.length ? `; kept ${keptSecrets.join(', ')} with this deployment's data (a Secret's previous data is never stored)` : '';
    return { action: 'restore', outcome: `restored${kept}`, resources: previous.resources };
  }

  /**
   * Delete those of `refs` that this deployment's service wrote, in reverse order, each awaited
   * until gone; its namespace last and not awaited: a namespace takes everything in it along and
   * may take minutes (finalizers), which nothing here needs to wait for (a later apply into it
   * meets "being terminated" and is retried). A namespace that holds anything else (another
   * service's objects, a retained one's, a person's, a Helm release) is kept, and the log says why.
   */
  private async deleteOwned(ctx: ExecutorContext, kubectl: Kubectl, config: KubectlConfig, owner: Owner, refs: ObjectRef[]): Promise<ObjectRef[]> {
    const deleted: ObjectRef[] = [];
    const timeoutMs = parseDuration(config.wait.timeout);
    const ordered = [...refs].reverse().sort((a, b) => Number(a.kind === 'Namespace') - Number(b.kind === 'Namespace'));
    for (const ref of ordered) {
      const live = await kubectl.get(ref);
      if (!live || !isOwned(live, owner)) continue;
      // Already going (an earlier attempt deleted it): a namespace is left to finish, anything else is waited for again.
      const going = Boolean(live.metadata.deletionTimestamp);
      if (going && ref.kind === 'Namespace') continue;
      if (ref.kind === 'Namespace') {
        const others = await this.othersIn(ctx, kubectl, ref.name, owner);
        if (others.length > 0) {
          const line = `kept namespace ${ref.name}: it holds what this service did not create (${others.slice(0, 5).join(', ')}${others.length > 5 ? ', …' : ''})`;
          ctx.log(line);
          ctx.heartbeat({ line });
          continue;
        }
      }
      await kubectl.delete(ref, ref.kind === 'Namespace' ? false : { timeoutMs });
      if (!going) deleted.push(ref);
      ctx.heartbeat({ line: `deleted ${describeRef(ref)}` });
    }
    return deleted;
  }

  /**
   * What in the namespace is not this service's, nor going with it: objects owned by another object
   * (a Deployment's ReplicaSets and pods go with it), being deleted, or made by the cluster in every
   * namespace are not counted. Unreadable: treated as holding something, so nothing is lost.
   */
  private async othersIn(ctx: ExecutorContext, kubectl: Kubectl, namespace: string, owner: Owner): Promise<string[]> {
    let objects: KubeObject[];
    try {
      objects = await kubectl.everythingIn(namespace);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      return [`(cannot list it: ${(err as Error).message.split('\n')[0]})`];
    }
    return objects
      .filter((o) => !isOwned(o, owner) && !o.metadata.ownerReferences?.length && !o.metadata.deletionTimestamp && !isClusterMade(o))
      .map((o) => describeRef(refOf(o)));
  }

  /** The namespace is created (and labelled) only if it does not exist, or this deployment's service created it (a re-run). */
  private async mayCreateNamespace(kubectl: Kubectl, namespace: string, owner: Owner): Promise<boolean> {
    const live = await kubectl.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    return !live || isOwned(live, owner);
  }

  /** Which objects the service has (without images or secret values: their identity only). */
  private async identities(kubectl: Kubectl, ctx: ExecutorContext, config: KubectlConfig): Promise<ObjectRef[]> {
    const objects = render(await this.manifests(kubectl, ctx, config), {
      config: { ...config, images: {} },
      version: null,
      owner: ownerOf(ctx, ctx.deploymentId),
      createNamespace: config.namespace !== undefined,
    });
    return objects.map((o) => refOf(o, o.kind === 'Namespace' ? undefined : config.namespace));
  }

  private async manifests(kubectl: Kubectl, ctx: ServiceTarget, config: KubectlConfig): Promise<KubeObject[]> {
    return parseManifests(await readManifests(path.resolve(ctx.deployment.baseDir, config.manifests), (dir) => kubectl.kustomize(dir)));
  }

  /**
   * The rendered file (with resolved Secret values) lives only while kubectl reads it, in a
   * directory only this user can enter, under the deployment's work dir so that cleanup() finds
   * what a killed worker left.
   */
  private async withPrivateFile<T>(ctx: ExecutorContext, text: string, use: (file: string) => Promise<T>): Promise<T> {
    await privateDir(path.join(this.deps.dataDir, EXECUTOR));
    return withPrivateFile(this.workDir(ctx.deploymentId), `${ctx.service.name}-`, 'objects.json', text, use);
  }


  private workDir(deploymentId: string): string {
    return path.join(this.deps.dataDir, EXECUTOR, 'work', deploymentId);
  }

  private async kubectl(ctx: ExecutorContext, config: KubectlConfig): Promise<Kubectl> {
    const binary = await this.kubectlBinary().catch((err: Error) => {
      throw new PermanentDeployError(`${err.message}\nFix: ${KUBECTL_FIX}`, { cause: err });
    });
    return new Kubectl(ctx, { binary, env: this.deps.env, context: config.context, graceMs: parseDuration(config.kill_grace) });
  }


  private record(key: ServiceStateKey): Promise<ServiceStateRecord | undefined> {
    return ownRecord(this.deps.serviceState, key, EXECUTOR);
  }
}

function configOf(service: ServiceSpec): KubectlConfig {
  return normalizeKubectlConfig(parseConfig(service, EXECUTOR, kubectlConfigSchema));
}

/** How messages name a configured duration (a number is milliseconds). */
function durationLabel(value: string | number): string {
  return typeof value === 'number' ? `${value}ms` : value;
}

function detailOf(detail: unknown): KubectlDetail | undefined {
  const parsed = detailSchema.safeParse(detail);
  return parsed.success ? parsed.data : undefined;
}

function ownerOf(target: ServiceTarget, deploymentId: string): Owner {
  return { deploymentId, name: target.deployment.name, environment: target.deployment.environment, service: target.service.name };
}

/** Written by this deployment, for this service. */
function isOwned(object: KubeObject, owner: Owner): boolean {
  const labels = ownerLabels(owner);
  const { metadata } = object;
  return (
    metadata.annotations?.[DEPLOYMENT_ID_ANNOTATION] === owner.deploymentId &&
    metadata.labels?.[DEPLOYMENT_LABEL] === labels[DEPLOYMENT_LABEL] &&
    metadata.labels?.[SERVICE_LABEL] === labels[SERVICE_LABEL]
  );
}

function deploymentIdOf(object: KubeObject): string | undefined {
  return object.metadata.annotations?.[DEPLOYMENT_ID_ANNOTATION];
}

/** What the cluster puts in every namespace, or derives from other objects, by itself. */
function isClusterMade(object: KubeObject): boolean {
  const { kind, metadata } = object;
  if (kind === 'Event' || kind === 'Endpoints' || kind === 'EndpointSlice' || kind === 'Lease') return true;
  return (kind === 'ServiceAccount' && metadata.name === 'default') || (kind === 'ConfigMap' && metadata.name === 'kube-root-ca.crt');
}

function isConfigNamespace(ref: ObjectRef, config: KubectlConfig): boolean {
  return ref.kind === 'Namespace' && ref.name === config.namespace;
}

/** Each generated Secret's values, resolved now (the bag redacts them from anything that leaves the step). */
async function resolveSecrets(ctx: ExecutorContext, config: KubectlConfig): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [name, data] of Object.entries(config.secrets)) {
    out[name] = {};
    for (const [key, ref] of Object.entries(data)) out[name][key] = await ctx.secrets.resolve(ref);
  }
  return out;
}

function union(a: ObjectRef[], b: ObjectRef[]): ObjectRef[] {
  return [...a, ...b.filter((r) => !a.some((x) => sameObject(x, r)))];
}
