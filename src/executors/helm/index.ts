/**
 * `executor: helm`: one release of a local chart, with `helm upgrade --install --wait`. Not
 * `--atomic`: a failed release stays failed, and Tugboat's saga rolls it back (with the rest of
 * the deployment, in dependency order) to the revision its snapshot saw, or uninstalls it where
 * this deployment installed it. Helm's release history is the state; the service record keeps
 * which deployment made the revision that is live.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { ResourceRef } from '../../api/progress';
import type { ApplyOutcome, VerifyOutcome } from '../../api/workflow-types';
import { parseDuration, type ServiceSpec } from '../../manifest/schema';
import type { ServiceStateKey, ServiceStateRecord } from '../../state/types';
import { onceFound } from '../../tools/find-tool';
import { privateDir } from '../private-files';
import { findHelm, findKubectl } from '../../tools/kubernetes';
import { Kubectl } from '../kubectl/kubectl-cli';
import { WORKLOAD_KINDS } from '../kubectl/objects';
import { stuckReasons } from '../kubectl/rollout';
import { PermanentDeployError } from '../errors';
import { kubernetesProvider } from '../../resilience/provider';
import { RunningCommands } from '../running-commands';
import { applyOutcome, appliedRecord, configIssues, ownRecord, parseConfig, readOnlyContext, restoredRecord, snapshotRecord, stateKey } from '../service-record';
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
import { HelmCli } from './helm-cli';
import { chartProblem, HELM_FIX, valuesFileProblem } from './preflight';
import { ReleaseNotReadyError } from './classify';
import { current, describeStep, installedBy, manifestObjects, manifestResources, recoveryFor, releaseResource, settledRevision, type Recovery, type Revision } from './release';
import { helmConfigSchema, type HelmConfig } from './schema';
import { resolvedValues, withValuesFile } from './values';

const EXECUTOR = 'helm';

/** What the service-state record keeps: which release, and the revision this executor left live. */
const detailSchema = z.object({
  release: z.string(),
  namespace: z.string(),
  revision: z.number().int(),
  installedByThisDeployment: z.boolean().optional(),
});
type HelmDetail = z.infer<typeof detailSchema>;

/** What snapshot() hands to a restore: the release's settled revision, and our record of it if we have one. */
const snapshotSchema = z.object({
  release: z.string(),
  namespace: z.string(),
  revision: z.number().int(),
  record: z.unknown().optional(),
});
type HelmSnapshot = z.infer<typeof snapshotSchema>;

export const helmExecutor: ExecutorFactory = {
  name: EXECUTOR,
  description:
    'Installs or upgrades a Helm release from a local chart (`helm upgrade --install --wait`, values with secret references ' +
    'passed through a private file); a rollback runs `helm rollback` to the revision that was live before, or uninstalls a ' +
    'release this deployment installed.',
  configSchema: helmConfigSchema,
  examples: [
    `- name: frontend-app
  type: kubernetes
  executor: helm
  version: v1.4.0
  config:
    chart: ./charts/web
    namespace: shop
    values:
      replicas: 2
      api_url: \${{ services.backend-api.outputs.url }}
      session_key: { secret: env:SESSION_KEY }
    values_files: [./charts/web/values-prod.yaml]
    wait: { timeout: 5m }`,
    `- name: web
  type: kubernetes
  executor: helm
  version: "2.1"
  config:
    chart: ./charts/web-0.3.0.tgz
    release: web-prod
    version_value: app.imageTag`,
  ],
  create: (deps) => new HelmExecutor(deps),
};

class HelmExecutor implements Executor {
  private readonly root: string;
  private readonly running: RunningCommands;
  /** Found once, lazily, never built here: a step must not start a build of several minutes. */
  private readonly helmBinary: () => Promise<string>;

  constructor(private readonly deps: ExecutorDependencies) {
    this.root = path.join(deps.dataDir, EXECUTOR);
    this.running = new RunningCommands(deps.dataDir, EXECUTOR);
    this.helmBinary = onceFound(() => findHelm({ env: deps.env, build: false }));
  }

  /** The cluster, as far as it is known without reading the kubeconfig: shared with kubectl services on it. */
  provider(service: ServiceSpec): string {
    return kubernetesProvider(configOf(service).context, this.deps.env);
  }

  async apply(ctx: ExecutorContext): Promise<ApplyOutcome> {
    const config = configOf(ctx.service);
    const key = stateKey(ctx);
    const before = await this.deps.serviceState.getServiceState(key);
    const { helm, release, namespace, timeoutMs } = await this.open(ctx, config);
    await this.settle(ctx, helm, release, timeoutMs);
    const description = describeStep(ctx.deploymentId, ctx.service.name);
    const history = await helm.history(release);
    const installed = settledRevision(history ?? []) === undefined || installedBy(history ?? [], description);

    const values = await resolvedValues(ctx, config);
    const valuesFiles = config.values_files.map((f) => path.resolve(ctx.deployment.baseDir, f));
    const upgraded = await withValuesFile(await this.valuesDir(ctx.deploymentId), values, (file) =>
      helm.upgradeInstall(release, chartPath(ctx, config), [...valuesFiles, file], timeoutMs, description),
    ).catch((err: unknown) => this.explainNotReady(ctx, config, helm, release, namespace, err));

    const outcome = applyOutcome(before, ctx, installed ? 'created' : 'updated');
    const applied = {
      version: ctx.service.version ?? `${upgraded.chartName}-${upgraded.chartVersion}`,
      outputs: { release, namespace: upgraded.namespace, revision: String(upgraded.revision), chart_version: upgraded.chartVersion },
      resources: await this.resources(helm, release, upgraded.namespace),
    };
    const detail: HelmDetail = { release, namespace: upgraded.namespace, revision: upgraded.revision, installedByThisDeployment: installed };
    const record = appliedRecord(ctx, EXECUTOR, applied, outcome, detail);
    await this.deps.serviceState.saveServiceState(key, record);
    ctx.log(`apply ${ctx.service.name}: ${outcome}, release ${release} revision ${upgraded.revision}`);
    return { outcome, version: record.version, outputs: record.outputs, resources: record.resources };
  }

  /** `--wait` already awaited readiness: what is left is whether the release is (still) deployed. */
  async verify(ctx: ExecutorContext): Promise<VerifyOutcome> {
    const { helm, release } = await this.open(ctx, configOf(ctx.service));
    const record = await this.record(stateKey(ctx));
    const latest = current((await helm.history(release)) ?? []);
    const version = record?.version;
    if (!latest) return { healthy: false, version, detail: `release ${release} not found` };
    if (latest.status === 'deployed') return { healthy: true, version, detail: `release ${release} revision ${latest.revision} deployed (${latest.chart})` };
    return { healthy: false, version, detail: `release ${release} revision ${latest.revision} is ${latest.status}: ${latest.description}` };
  }

  async snapshot(target: ServiceTarget, signal: AbortSignal): Promise<PreviousState | null> {
    const ctx = readOnlyContext(this.deps.env, target.deployment, target.service, signal);
    const { helm, release, namespace } = await this.open(ctx, configOf(target.service));
    const settled = settledRevision((await helm.history(release)) ?? []);
    if (!settled) return null;
    // Our record describes the release only if it names the revision helm has live.
    const record = await this.record(stateKey(target));
    const ours = record && detailOf(record.detail)?.revision === settled.revision ? record : undefined;
    const detail: HelmSnapshot = { release, namespace, revision: settled.revision, ...(ours ? { record: ours } : {}) };
    return {
      version: ours?.version ?? settled.chart,
      outputs: ours?.outputs ?? { release, namespace, revision: String(settled.revision) },
      resources: ours?.resources ?? [releaseResource(namespace, release)],
      detail,
    };
  }

  async compensate(ctx: ExecutorContext, action: 'delete' | 'restore' | 'retain', previous: PreviousState | null): Promise<CompensationOutcome> {
    if (action === 'retain') return { action, outcome: 'retained', resources: (await this.record(stateKey(ctx)))?.resources ?? [] };
    const config = configOf(ctx.service);
    const { helm, release, timeoutMs } = await this.open(ctx, config);
    const repaired = await this.settle(ctx, helm, release, timeoutMs);
    // Nothing was there before: restoring "nothing" is uninstalling.
    if (action === 'delete' || previous === null) {
      // An install left pending was uninstalled by the repair: that was this compensation's work too.
      const uninstalled = (await helm.uninstall(release, timeoutMs)) || repaired === 'uninstall';
      if (await this.record(stateKey(ctx))) await this.deps.serviceState.deleteServiceState(stateKey(ctx));
      ctx.log(`compensate ${ctx.service.name}: ${uninstalled ? `uninstalled release ${release}` : `release ${release} was not there`}`);
      return { action, outcome: uninstalled ? 'deleted' : 'noop', resources: [] };
    }
    return this.restore(ctx, helm, previous, timeoutMs);
  }

  /** The values files of steps a killed worker left (they hold resolved secrets); a step removes its own. */
  async cleanup(deploymentId: string): Promise<void> {
    await fs.rm(path.join(this.root, 'values', safeName(deploymentId)), { recursive: true, force: true });
  }

  async inventory(deployment: DeploymentRef, services: ServiceSpec[], signal: AbortSignal): Promise<InventoryReport> {
    const report: Required<InventoryReport> = { items: [], unverifiable: [] };
    for (const service of services) {
      const ctx = readOnlyContext(this.deps.env, deployment, service, signal);
      try {
        const { helm, release, namespace } = await this.open(ctx, configOf(service));
        // Any revision counts, a pending one too: an install a killed helm left half done is exactly what must not go unseen.
        const history = await helm.history(release);
        if (!history?.length) continue;
        const record = await this.record(stateKey({ deployment, service }));
        // No record: an apply whose worker died after helm ran. Its revisions carry the deployment's description.
        const owner = record?.deploymentId ?? (history.some((r) => r.description === describeStep(deployment.id, service.name)) ? deployment.id : undefined);
        if (!owner) continue;
        for (const r of await this.resources(helm, release, namespace)) report.items.push({ ...r, service: service.name, deploymentId: owner });
      } catch (err) {
        if (signal.aborted) throw err;
        report.unverifiable.push({ service: service.name, reason: (err as Error).message });
      }
    }
    return report;
  }

  async preflight({ deployment, service }: ServiceTarget, signal: AbortSignal): Promise<PreflightProblem[]> {
    const problems: PreflightProblem[] = [];
    const found = await this.helmBinary().then(
      () => true,
      (err: Error) => problems.push({ path: 'executor', message: err.message, fix: HELM_FIX }) && false,
    );
    const parsed = helmConfigSchema.safeParse(service.config);
    if (!parsed.success) {
      const fix = 'see the README section on the helm executor; `tugboat plan` checks the config too';
      return [...problems, ...configIssues(parsed.error).map((issue) => ({ ...issue, fix }))];
    }
    const config = parsed.data;
    const chart = await chartProblem(path.resolve(deployment.baseDir, config.chart));
    if (chart) problems.push({ path: 'config.chart', ...chart });
    for (const [i, file] of config.values_files.entries()) {
      const problem = await valuesFileProblem(path.resolve(deployment.baseDir, file));
      if (problem) problems.push({ path: `config.values_files[${i}]`, ...problem });
    }
    if (!found) return problems;
    try {
      const { helm, release } = await this.open(readOnlyContext(this.deps.env, deployment, service, signal), config);
      await helm.history(release); // absent is fine: the question is whether the cluster answers
    } catch (err) {
      if (signal.aborted) throw err;
      problems.push({
        path: config.context ? 'config.context' : 'executor',
        message: `the cluster does not answer: ${(err as Error).message}`,
        fix: 'set KUBECONFIG on the worker to a reachable cluster (`tugboat dev-cluster` starts a local one)' + (config.context ? ' that has this context' : ''),
      });
    }
    return problems;
  }

  /** compensate(restore): roll back to the revision the snapshot saw, unless it is the one live now. */
  private async restore(ctx: ExecutorContext, helm: HelmCli, previous: PreviousState, timeoutMs: number): Promise<CompensationOutcome> {
    const snap = snapshotSchema.safeParse(previous.detail);
    if (!snap.success) throw new PermanentDeployError(`cannot restore ${ctx.service.name}: the previous state names no Helm revision`);
    const { release, namespace, revision } = snap.data;
    const latest = current((await helm.history(release)) ?? []);
    if (!latest) throw new PermanentDeployError(`cannot restore ${ctx.service.name}: release ${release} no longer exists, so revision ${revision} is gone with it`);
    // Already there: the apply never changed it, or an earlier attempt rolled back (helm describes that
    // revision "Rollback to N"). Rolling back again would only add a revision.
    const there = latest.status === 'deployed' && (latest.revision === revision || latest.description === `Rollback to ${revision}`);
    if (!there) await helm.rollback(release, revision, timeoutMs);
    const live = current((await helm.history(release)) ?? []) ?? latest;
    const resources = await this.resources(helm, release, namespace);
    // Our record of the revision restored (its deployment owns the release again), now naming the revision live.
    const saved = snapshotRecord({ ...previous, detail: snap.data.record });
    const restored = restoredRecord({ ...previous, detail: saved }, EXECUTOR, { resources });
    const detail = { ...(saved?.detail as object | undefined), release, namespace, revision: live.revision };
    await this.deps.serviceState.saveServiceState(stateKey(ctx), { ...restored, detail });
    ctx.log(`compensate ${ctx.service.name}: release ${release} back to revision ${revision} (now revision ${live.revision})`);
    return { action: 'restore', outcome: 'restored', resources };
  }

  /**
   * Before anything changes the release: a previous attempt's helm still running (its worker died;
   * the group runs on) is waited for, and a release a killed helm left pending is repaired, since
   * helm refuses every operation on it ("another operation is in progress") until then.
   */
  private async settle(ctx: ExecutorContext, helm: HelmCli, release: string, timeoutMs: number): Promise<Recovery['action']> {
    await this.running.waitForPrevious(ctx, parseDuration(configOf(ctx.service).kill_grace));
    const history = await helm.history(release);
    const recovery = recoveryFor(history ?? []);
    if (recovery.action === 'none') return recovery.action;
    const stuck = current(history!) as Revision;
    if (recovery.action === 'uninstall') {
      ctx.log(`release ${release} was left ${stuck.status} (revision ${stuck.revision}) by a helm that was killed: uninstalling it`);
      await helm.uninstall(release, timeoutMs);
    } else {
      ctx.log(`release ${release} was left ${stuck.status} (revision ${stuck.revision}) by a helm that was killed: rolling back to revision ${recovery.revision}`);
      await helm.rollback(release, recovery.revision, timeoutMs);
    }
    return recovery.action;
  }

  /**
   * Helm says only "0 out of 2 expected pods are ready" when `--wait` runs out; the pods say why
   * (unschedulable, an image that cannot be pulled). Read with kubectl when the worker has it; the
   * failure stays helm's own otherwise.
   */
  private async explainNotReady(ctx: ExecutorContext, config: HelmConfig, helm: HelmCli, release: string, namespace: string, err: unknown): Promise<never> {
    if (!(err instanceof ReleaseNotReadyError)) throw err;
    let reasons: string[] = [];
    try {
      const binary = await findKubectl({ env: this.deps.env, build: false });
      const kubectl = new Kubectl(ctx, { binary, env: this.deps.env, context: config.context, graceMs: 1_000 });
      const workloads = manifestObjects(await helm.manifest(release), namespace).filter((o) => WORKLOAD_KINDS.has(o.kind));
      for (const workload of workloads) reasons.push(...((await stuckReasons(kubectl, workload)) ?? []));
      reasons = [...new Set(reasons)];
    } catch {
      ctx.signal.throwIfAborted(); // cancelled meanwhile: a cancellation, not this failure
      throw err; // no kubectl, or the cluster went away meanwhile: helm's account is all there is
    }
    if (reasons.length === 0) throw err;
    throw new ReleaseNotReadyError(`${err.message}\nwhy: ${reasons.join('; ')}`);
  }

  /** The release and the objects its live revision made. */
  private async resources(helm: HelmCli, release: string, namespace: string): Promise<ResourceRef[]> {
    return [releaseResource(namespace, release), ...manifestResources(await helm.manifest(release), namespace)];
  }

  private async open(ctx: ExecutorContext, config: HelmConfig): Promise<{ helm: HelmCli; release: string; namespace: string; timeoutMs: number }> {
    await this.privateRoot();
    const binary = await this.helmBinary().catch((err: Error) => {
      throw new PermanentDeployError(`${err.message}\nFix: ${HELM_FIX}`, { cause: err });
    });
    const opts = { binary, env: this.helmEnv(), graceMs: parseDuration(config.kill_grace), context: config.context, running: this.running };
    const namespace = config.namespace ?? (await new HelmCli(ctx, opts).defaultNamespace());
    return {
      helm: new HelmCli(ctx, { ...opts, namespace }),
      release: config.release ?? ctx.service.name,
      namespace,
      timeoutMs: parseDuration(config.wait.timeout),
    };
  }

  /**
   * The worker's environment (KUBECONFIG included) with helm's own cache, config and data
   * directories under Tugboat's: a worker never reads or writes a person's ~/.config/helm, and
   * local charts need no repository index.
   */
  private helmEnv(): NodeJS.ProcessEnv {
    return {
      ...this.deps.env,
      HELM_CACHE_HOME: path.join(this.root, 'cache'),
      HELM_CONFIG_HOME: path.join(this.root, 'config'),
      HELM_DATA_HOME: path.join(this.root, 'data'),
    };
  }

  /** Private: values files hold resolved secrets while helm runs. chmod as well, in case the umask made it wider. */
  private privateRoot(): Promise<void> {
    return privateDir(this.root);
  }

  private async valuesDir(deploymentId: string): Promise<string> {
    const dir = path.join(this.root, 'values', safeName(deploymentId));
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }


  private record(key: ServiceStateKey): Promise<ServiceStateRecord | undefined> {
    return ownRecord(this.deps.serviceState, key, EXECUTOR);
  }
}

function configOf(service: ServiceSpec): HelmConfig {
  return parseConfig(service, EXECUTOR, helmConfigSchema);
}

function chartPath(ctx: ServiceTarget, config: HelmConfig): string {
  return path.resolve(ctx.deployment.baseDir, config.chart);
}

function detailOf(detail: unknown): HelmDetail | undefined {
  const parsed = detailSchema.safeParse(detail);
  return parsed.success ? parsed.data : undefined;
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}
