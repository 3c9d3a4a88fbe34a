/**
 * `executor: opentofu` (the default for `type: terraform`): applies a module with OpenTofu (or
 * Terraform). Tugboat keeps one state per deployment name, environment and service unless the
 * module declares its own backend (a local file, or with the PostgreSQL state store OpenTofu's
 * `pg` backend in the same database: see pg-state.ts); each applied module is kept as a content-addressed snapshot,
 * so a rollback re-applies exactly what was live before, with the vars it had (secret references
 * resolved again at that moment).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { ApplyOutcome, VerifyOutcome } from '../../api/workflow-types';
import { parseDuration, type ServiceSpec } from '../../manifest/schema';
import type { ServiceStateKey, ServiceStateRecord } from '../../state/types';
import { onceFound } from '../../tools/find-tool';
import { privateDir } from '../private-files';
import { findTofu } from '../../tools/tofu';
import { PermanentDeployError } from '../errors';
import { applyOutcome, appliedRecord, ownRecord, parseConfig, readOnlyContext, restoredRecord, snapshotOf, snapshotRecord, stateKey } from '../service-record';
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
import { OpentofuLayout } from './layout';
import { exists } from '../../system/exists';
import { configFiles, declaresBackend, saveSnapshot } from './module-files';
import { PgOpentofuStore, pgBackendOverride, tofuConnectionString, tofuSchemaName, unmovedLocalStateError } from './pg-state';
import { normalizeOpentofuConfig, opentofuConfigSchema, type OpentofuConfig } from './schema';
import { outputsOf, resourcesOf } from './show-json';
import { TofuCli } from './tofu-cli';
import { localBackendOverride, Workspace, type KeptState } from './workspace';

const EXECUTOR = 'opentofu';
const TOFU_FIX = 'set TUGBOAT_TOFU_PATH to a tofu or terraform binary, install OpenTofu or Terraform on PATH, or run `npm run tools tofu`';

/** What the service-state record keeps (and snapshot() hands to a later restore). References only, never secret values. */
const detailSchema = z.object({
  /** Hash naming the module snapshot that was applied. */
  snapshot: z.string(),
  vars: z.record(z.string(), z.unknown()),
  statePath: z.string().nullable(),
});
type OpentofuDetail = z.infer<typeof detailSchema>;

export const opentofuExecutor: ExecutorFactory = {
  name: EXECUTOR,
  description:
    'Applies an OpenTofu/Terraform module with `tofu` (or `terraform`); Tugboat keeps the state per service and environment ' +
    'unless the module has its own backend, and a rollback re-applies the module and vars that were live before.',
  configSchema: opentofuConfigSchema,
  examples: [
    `- name: network
  type: terraform
  config:
    module: ./infra/network
    vars: { cidr: 10.0.0.0/16, db_password: { secret: env:DB_PASSWORD } }
    lock_timeout: 2m`,
    `- name: vpc
  type: terraform
  config: ./terraform/vpc`,
  ],
  create: (deps) => new OpentofuExecutor(deps),
};

class OpentofuExecutor implements Executor {
  private readonly layout: OpentofuLayout;
  /** Found once, lazily, never built here: a step must not start a build of several minutes. */
  private readonly tofuBinary: () => Promise<string>;
  /** Set with the PostgreSQL state store: states and module snapshots live in the database, for every worker. */
  private readonly pg: PgOpentofuStore | undefined;

  constructor(private readonly deps: ExecutorDependencies) {
    this.layout = new OpentofuLayout(deps.dataDir);
    this.tofuBinary = onceFound(() => findTofu({ env: deps.env, build: false }));
    this.pg = deps.postgres && new PgOpentofuStore(deps.postgres);
  }

  async apply(ctx: ExecutorContext): Promise<ApplyOutcome> {
    const config = configOf(ctx.service);
    const key = stateKey(ctx);
    const before = await this.deps.serviceState.getServiceState(key);
    const workspace = await this.workspace(ctx, config);
    const { wc, show } = await workspace.apply(moduleDirOf(ctx, config), config.vars, async (wc) => {
      await saveSnapshot(wc.dir, wc.files, this.layout.snapshotDir(wc.hash));
      // Before the record names it: a restore on another worker finds it there.
      await this.pg?.saveSnapshot(wc.hash, wc.dir, wc.files);
    });
    // tofu converged either way; a re-run of this step reports what its first run found.
    const outcome = applyOutcome(before, ctx, before?.resources.length ? 'updated' : 'created');
    const applied = {
      version: ctx.service.version ?? `sha256:${wc.hash.slice(0, 12)}`,
      outputs: ctx.secrets.redactDeep(outputsOf(show)),
      resources: resourcesOf(show, ctx.service.name),
    };
    const detail: OpentofuDetail = { snapshot: wc.hash, vars: config.vars, statePath: wc.statePath };
    const record = appliedRecord(ctx, EXECUTOR, applied, outcome, detail);
    await this.deps.serviceState.saveServiceState(key, record);
    ctx.log(`apply ${ctx.service.name}: ${outcome}, ${record.resources.length} resources`);
    return { outcome, version: record.version, outputs: record.outputs, resources: record.resources };
  }

  async verify(ctx: ExecutorContext): Promise<VerifyOutcome> {
    const record = await this.record(stateKey(ctx));
    if (!record) return { healthy: false, detail: 'no state: the module was not applied' };
    const detail = detailOf(record.detail);
    if (detail?.statePath && !(await exists(detail.statePath))) {
      return { healthy: false, version: record.version, detail: `the state file ${detail.statePath} is missing` };
    }
    try {
      const show = await (await this.workspace(ctx, configOf(ctx.service))).show(await this.moduleFor(ctx, detail));
      return { healthy: true, version: record.version, detail: `${resourcesOf(show, ctx.service.name).length} resources` };
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      return { healthy: false, version: record.version, detail: `cannot read the state: ${(err as Error).message}` };
    }
  }

  async snapshot(target: ServiceTarget, signal: AbortSignal): Promise<PreviousState | null> {
    signal.throwIfAborted();
    const record = await this.record(stateKey(target));
    // An empty state is no service: a rollback deletes (destroys) rather than restores it.
    return record && record.resources.length > 0 ? snapshotOf(record) : null;
  }

  async compensate(ctx: ExecutorContext, action: 'delete' | 'restore' | 'retain', previous: PreviousState | null): Promise<CompensationOutcome> {
    if (action === 'retain') {
      return { action, outcome: 'retained', resources: (await this.record(stateKey(ctx)))?.resources ?? [] };
    }
    // Nothing was there before: restoring "nothing" is deleting.
    if (action === 'delete' || previous === null) return this.delete(ctx, action);
    return this.restore(ctx, previous);
  }

  /**
   * A working copy a killed attempt left (it may still hold the tfvars file with resolved secrets)
   * is removed when a later attempt succeeds; this covers runs that ended otherwise (cancelled, failed).
   */
  async cleanup(deploymentId: string): Promise<void> {
    await fs.rm(this.layout.deploymentWorkDir(deploymentId), { recursive: true, force: true });
  }

  async inventory(deployment: DeploymentRef, services: ServiceSpec[], signal: AbortSignal): Promise<InventoryReport> {
    const items: InventoryItem[] = [];
    for (const service of services) {
      const record = await this.record(stateKey({ deployment, service }));
      if (!record) continue;
      // Read-only: a context of its own, whose secret bag never resolves anything.
      const ctx = readOnlyContext(this.deps.env, deployment, service, signal);
      const show = await (await this.workspace(ctx, configOf(service))).show(await this.moduleFor(ctx, detailOf(record.detail)));
      for (const r of resourcesOf(show, service.name)) items.push({ ...r, service: service.name, deploymentId: record.deploymentId });
    }
    return { items };
  }

  async preflight({ deployment, service }: ServiceTarget): Promise<PreflightProblem[]> {
    const problems: PreflightProblem[] = [];
    await this.tofuBinary().catch((err: Error) => problems.push({ path: 'executor', message: err.message, fix: TOFU_FIX }));
    const parsed = opentofuConfigSchema.safeParse(service.config);
    if (!parsed.success) {
      problems.push({ path: 'config', message: 'expected a module path, or a mapping with `module:`', fix: 'e.g. config: ./infra/network' });
      return problems;
    }
    const where = typeof service.config === 'string' ? 'config' : 'config.module';
    const moduleDir = path.resolve(deployment.baseDir, normalizeOpentofuConfig(parsed.data).module);
    const files = await configFiles(moduleDir).catch(() => undefined);
    if (!files) problems.push({ path: where, message: `the module directory ${moduleDir} does not exist`, fix: 'paths are relative to the manifest file' });
    else if (files.length === 0) problems.push({ path: where, message: `${moduleDir} has no .tf files`, fix: 'point it at the directory holding the module\'s .tf files' });
    else if (this.deps.postgres && !(await declaresBackend(moduleDir))) {
      // The state goes to OpenTofu's pg backend: a URL its driver cannot use fails every step.
      try {
        tofuConnectionString(this.deps.postgres, this.deps.env);
      } catch (err) {
        problems.push({ path: 'executor', message: (err as Error).message, fix: 'change TUGBOAT_STATE (or PGSSLMODE) on the workers' });
      }
    }
    return problems;
  }

  /** compensate(delete): destroy what this deployment's apply created, with the module and vars it used. */
  private async delete(ctx: ExecutorContext, action: 'delete' | 'restore'): Promise<CompensationOutcome> {
    const key = stateKey(ctx);
    const config = configOf(ctx.service);
    const record = await this.record(key);
    const detail = detailOf(record?.detail);
    // No record: the apply never finished. Its state (if Tugboat keeps it) says whether it created anything.
    if (!record && !stateHasResources(await this.keptStateText(key))) return { action, outcome: 'noop', resources: [] };
    const workspace = await this.workspace(ctx, config);
    await workspace.destroy(await this.moduleFor(ctx, detail), detail?.vars ?? config.vars);
    await this.deps.serviceState.deleteServiceState(key);
    ctx.log(`compensate ${ctx.service.name}: destroyed ${record?.resources.length ?? 'the'} resources`);
    return { action, outcome: 'deleted', resources: [] };
  }

  /** compensate(restore): re-apply the module snapshot and vars that were live before, and their record. */
  private async restore(ctx: ExecutorContext, previous: PreviousState): Promise<CompensationOutcome> {
    // A rollback manifest from before snapshots held the whole record holds the detail itself.
    const detail = detailOf(snapshotRecord(previous)?.detail ?? previous.detail);
    if (!detail) throw new PermanentDeployError(`cannot restore ${ctx.service.name}: the previous state names no module snapshot`);
    const snapshotDir = await this.snapshotDir(detail.snapshot);
    if (!snapshotDir) {
      const where = this.pg ? `in ${this.layout.snapshotDir(detail.snapshot)} nor in PostgreSQL` : this.layout.snapshotDir(detail.snapshot);
      throw new PermanentDeployError(`cannot restore ${ctx.service.name}: the module snapshot is gone (not ${where})`);
    }
    const workspace = await this.workspace(ctx, configOf(ctx.service));
    const { show } = await workspace.apply(snapshotDir, detail.vars, async () => undefined);
    // What tofu reports now: the same as before, unless the world drifted meanwhile.
    const restored = restoredRecord(previous, EXECUTOR, { outputs: ctx.secrets.redactDeep(outputsOf(show)), resources: resourcesOf(show, ctx.service.name) });
    await this.deps.serviceState.saveServiceState(stateKey(ctx), restored);
    ctx.log(`compensate ${ctx.service.name}: restored snapshot ${detail.snapshot.slice(0, 12)}`);
    return { action: 'restore', outcome: 'restored', resources: restored.resources };
  }

  /** The snapshot the record names (what was applied), else the module as configured now. */
  private async moduleFor(ctx: ExecutorContext, detail: OpentofuDetail | undefined): Promise<string> {
    return (detail && (await this.snapshotDir(detail.snapshot))) || moduleDirOf(ctx, configOf(ctx.service));
  }

  /** The snapshot's directory on this worker, fetched from PostgreSQL if another worker applied it; undefined when gone. */
  private async snapshotDir(hash: string): Promise<string | undefined> {
    const dir = this.layout.snapshotDir(hash);
    if (await exists(dir)) return dir;
    if (this.pg && (await this.pg.restoreSnapshot(hash, dir))) return dir;
    return undefined;
  }

  /** Where the service's state is kept unless its module names a backend: a local file, or the `pg` backend. */
  private keptState(key: ServiceStateKey, tofu: string): KeptState {
    const { postgres } = this.deps;
    if (!postgres) {
      const statePath = this.layout.statePath(key);
      return { backendOverride: localBackendOverride(statePath), statePath };
    }
    const tofuSchema = tofuSchemaName(postgres.schema, key);
    return {
      backendOverride: pgBackendOverride(tofuSchema),
      statePath: null,
      prepare: async () => {
        // The pg backend's connection (see pg-state.ts): in the environment, never on a command line.
        const connectionString = tofuConnectionString(postgres, this.deps.env);
        await this.refuseUnmovedLocalState(key, { tofuSchema, connectionString, tofu });
        return { PG_CONN_STR: connectionString };
      },
    };
  }

  /** A local state this worker kept before TUGBOAT_STATE named PostgreSQL, never moved there: refused (see unmovedLocalStateError). */
  private async refuseUnmovedLocalState(key: ServiceStateKey, pg: { tofuSchema: string; connectionString: string; tofu: string }): Promise<void> {
    const statePath = this.layout.statePath(key);
    const local = await fs.readFile(statePath, 'utf8').catch(() => undefined);
    if (!stateHasResources(local) || stateHasResources(await this.pg!.stateText(pg.tofuSchema))) return;
    throw unmovedLocalStateError({ ...pg, service: key.service, statePath, resources: resourceCount(local!), target: this.deps.postgres! });
  }

  /** The kept state's JSON, read without tofu; undefined when there is none. */
  private keptStateText(key: ServiceStateKey): Promise<string | undefined> {
    if (this.pg && this.deps.postgres) return this.pg.stateText(tofuSchemaName(this.deps.postgres.schema, key));
    return fs.readFile(this.layout.statePath(key), 'utf8').catch(() => undefined);
  }

  private async workspace(ctx: ExecutorContext, config: OpentofuConfig): Promise<Workspace> {
    await this.privateRoot();
    const step = ctx.idempotencyKey.split(':').pop() || 'step';
    const binary = await this.tofuBinary().catch((err: Error) => {
      throw new PermanentDeployError(`${err.message}\nFix: ${TOFU_FIX}`, { cause: err });
    });
    const tofu = new TofuCli(ctx, {
      binary,
      env: await this.tofuEnv(),
      graceMs: parseDuration(config.kill_grace),
      lockTimeoutMs: parseDuration(config.lock_timeout),
    });
    return new Workspace({
      ctx,
      tofu,
      workDirs: this.layout.workDirs(ctx.deploymentId, ctx.service.name, step),
      state: this.keptState(stateKey(ctx), binary),
    });
  }

  /**
   * Everything the executor keeps lives under one directory only this user can enter: states hold
   * any value a resource keeps (a generated password, a secret var it stores), working copies hold
   * tfvars while a step runs. chmod as well: an older worker may have created it with the umask's mode.
   */
  private privateRoot(): Promise<void> {
    return privateDir(this.layout.root);
  }


  /**
   * The worker's environment for automation: no prompts, no "run terraform apply" hints, and,
   * unless the worker names one that exists, an empty CLI config (a person's ~/.tofurc is not the
   * worker's; a TF_CLI_CONFIG_FILE naming a missing file makes tofu print a warning on stdout,
   * ahead of the JSON we read there). TF_DATA_DIR is dropped: it would make every working copy
   * share one `.terraform`.
   */
  private async tofuEnv(): Promise<NodeJS.ProcessEnv> {
    const { TF_DATA_DIR: _shared, ...env } = this.deps.env;
    if (!env.TF_CLI_CONFIG_FILE || !(await fs.stat(env.TF_CLI_CONFIG_FILE).then((s) => s.isFile(), () => false))) {
      await fs.mkdir(path.dirname(this.layout.cliConfigFile), { recursive: true });
      await fs.writeFile(this.layout.cliConfigFile, '', { flag: 'a' });
      env.TF_CLI_CONFIG_FILE = this.layout.cliConfigFile;
    }
    return { ...env, TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
  }

  private record(key: ServiceStateKey): Promise<ServiceStateRecord | undefined> {
    return ownRecord(this.deps.serviceState, key, EXECUTOR);
  }
}

function configOf(service: ServiceSpec): OpentofuConfig {
  return normalizeOpentofuConfig(parseConfig(service, EXECUTOR, opentofuConfigSchema));
}

function moduleDirOf(ctx: ServiceTarget, config: OpentofuConfig): string {
  return path.resolve(ctx.deployment.baseDir, config.module);
}

function detailOf(detail: unknown): OpentofuDetail | undefined {
  const parsed = detailSchema.safeParse(detail);
  return parsed.success ? parsed.data : undefined;
}

/** Whether a state (its JSON text, undefined when absent) holds any resource (the state format's top-level `resources`). */
function stateHasResources(text: string | undefined): boolean {
  return text !== undefined && resourceCount(text) !== 0;
}

/** How many resources a state's JSON holds; NaN when it cannot be read (never taken for empty). */
function resourceCount(text: string): number {
  try {
    return ((JSON.parse(text) as { resources?: unknown[] }).resources ?? []).length;
  } catch {
    return NaN; // unreadable: let tofu decide rather than assume it is empty
  }
}
