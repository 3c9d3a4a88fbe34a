/**
 * Scenario 7, real tools: a release of shell no-ops (`run: [true]`) and OpenTofu modules holding one
 * `terraform_data` resource, deployed by Tugboat, and the very commands its executors run for those
 * services run again directly (spawned with argv, same flags, same environment, in the same order,
 * one at a time) in the same run. Tugboat's overhead per service is the difference ÷ the services.
 *
 * The release is a chain, interleaved (sh-01 → tf-01 → sh-02 → …) with max_parallel 1: serial, so
 * no overhead hides behind parallelism, and the direct run's order is the deployment's order.
 * Order of measurement: direct, Tugboat, direct[, Tugboat, direct]; each Tugboat run is compared
 * with the mean of the direct runs either side of it, so drift on a shared machine cancels out.
 *
 * What the executors run per service (src/executors/shell, src/executors/opentofu):
 *  - shell apply: `true` in the service's cwd, with the worker's PATH/HOME/LANG… and the TUGBOAT_*
 *    variables; verify: nothing (no verify command: a successful run is healthy).
 *  - opentofu apply: the module copied into a fresh working copy with a local-backend override and an
 *    auto-loaded tfvars file; `init -input=false -no-color`, `plan -input=false -no-color
 *    -lock-timeout=60000ms -out=tugboat.tfplan`, `apply -input=false -no-color -lock-timeout=60000ms
 *    tugboat.tfplan`, `show -json -no-color`. verify: a second fresh copy (of the snapshot), `init`
 *    again and `show -json`. Environment: the worker's, minus TF_DATA_DIR, with TF_IN_AUTOMATION=1,
 *    TF_INPUT=0 and an empty CLI config.
 * The direct run repeats exactly these, timing only the processes (file copies are Tugboat's work).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { constants as fsConstants, readFileSync } from 'node:fs';
import path from 'node:path';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { progressQuery } from '../../src/api/messages';
import { localBackendOverride } from '../../src/executors/opentofu/workspace';
import { BACKEND_OVERRIDE_FILE, PLAN_FILE, TFVARS_FILE } from '../../src/executors/opentofu/module-files';
import { findTofu, tofuCacheDir } from '../../src/tools/tofu';
import type { Figure, Scenario, ScenarioContext, ScenarioResult } from '../lib/types';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'real-tools');
const MODULE_DIR = path.join(FIXTURES, 'module');
const ENVIRONMENT = 'bench';
const VARS = { release: 'bench' };
/** The executor's default lock_timeout (60s), as TofuCli passes it. */
const LOCK_TIMEOUT_ARG = '-lock-timeout=60000ms';
/** How long a full run waits for an OpenTofu build another process has under way. */
const TOFU_BUILD_WAIT_MS = 30 * 60_000;

/** What the shell executor passes on from the worker's environment (src/executors/shell/command.ts). */
const SHELL_INHERITED_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR'];

type Kind = 'shell' | 'tofu';
interface Unit {
  name: string;
  kind: Kind;
}

/** One command's direct run. */
interface Timed {
  label: string;
  ms: number;
}

interface DirectRun {
  /** Σ of the processes' own times, per service. */
  perService: Map<string, number>;
  /** Every command, in order, with its service. */
  commands: Array<Timed & { service: string }>;
  /** Wall time of the whole direct run, file preparation included. */
  wallMs: number;
}

/** Per service, from its child workflow's history. */
interface ChildTiming {
  kind: Kind;
  /** Child workflow start → close. */
  spanMs: number;
  /** Σ over its activities (apply, verify) of started → completed: time inside the executor's step. */
  activityMs: number;
}

interface TugboatRun {
  wallMs: number;
  phase: string;
  children: Map<string, ChildTiming>;
  /** Why children could not be timed (figures of the split become NaN), if so. */
  childrenError?: string;
}

export const scenario: Scenario = {
  id: '7',
  title: 'Real tools: shell `true` and OpenTofu terraform_data, Tugboat vs the same commands run directly',
  run,
};

async function run(ctx: ScenarioContext): Promise<ScenarioResult> {
  const notes: string[] = [];
  const worker = workerProcessFacts(ctx.worker.pid);
  if (worker.env.TUGBOAT_STATE && /^postgres/.test(worker.env.TUGBOAT_STATE)) {
    notes.push("the worker keeps OpenTofu state in PostgreSQL (TUGBOAT_STATE); the direct runs use a local state file");
  }
  const tofu = await locateTofu(ctx, worker.env, notes);
  const perKind = ctx.smoke ? 2 : 10;
  const units = releaseUnits(perKind, tofu !== undefined);
  const reps = ctx.smoke ? 1 : 2;
  ctx.log(`${units.length} services (${units.filter((u) => u.kind === 'tofu').length} OpenTofu), ${reps} Tugboat run(s) between direct runs`);

  const directRoot = path.join(ctx.tmpDir, 'real-tools-direct');
  const cliConfig = path.join(directRoot, 'tofurc');
  await fs.mkdir(directRoot, { recursive: true });
  await fs.writeFile(cliConfig, '');
  const tofuEnv = tofu ? tofuEnvOf(worker.env, cliConfig) : {};
  // The binary's pages in the cache before anything is timed: the first run must not pay for it.
  if (tofu) await timedSpawn([tofu, 'version'], { cwd: directRoot, env: tofuEnv });

  const stamp = Date.now().toString(36);
  const directs: DirectRun[] = [];
  const tugboats: TugboatRun[] = [];
  const direct = async (i: number) => {
    ctx.log(`direct run ${i + 1}`);
    directs.push(await runDirect(units, { root: path.join(directRoot, `run-${i}`), worker, tofu, tofuEnv, deploymentId: `direct-${stamp}-${i}` }));
  };
  await direct(0);
  for (let rep = 0; rep < reps; rep++) {
    ctx.log(`Tugboat run ${rep + 1}`);
    tugboats.push(await runTugboat(ctx, units, `real-tools-${stamp}-${rep}`));
    if (!ctx.smoke) await direct(rep + 1);
  }
  // For comparison only: the same module applied the shortest way a person would script it.
  const lean = tofu ? await runLean(units, { root: path.join(directRoot, 'lean'), tofu, tofuEnv }) : undefined;

  return figuresOf(units, directs, tugboats, { notes, tofu, smoke: ctx.smoke, lean });
}

// ---------------------------------------------------------------------------------------------
// Setup

interface WorkerFacts {
  env: NodeJS.ProcessEnv;
}

/** The worker's own environment: what its executors hand to the tools. */
function workerProcessFacts(pid: number): WorkerFacts {
  let env: NodeJS.ProcessEnv = process.env;
  try {
    env = Object.fromEntries(
      readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
  } catch {
    // Not Linux, or not ours to read: the worker was started from this process's environment.
  }
  return { env };
}

/**
 * OpenTofu itself (never a `terraform` on PATH), found without building. A build another process
 * has under way is waited for in a full run; never started here.
 */
async function locateTofu(ctx: ScenarioContext, workerEnv: NodeJS.ProcessEnv, notes: string[]): Promise<string | undefined> {
  const find = () => findTofu({ openTofuOnly: true, build: false }).catch(() => undefined);
  let tofu = await find();
  if (!tofu && !ctx.smoke && buildUnderWay()) {
    ctx.log(`waiting for the OpenTofu build under way in ${tofuCacheDir()}`);
    const deadline = Date.now() + TOFU_BUILD_WAIT_MS;
    while (!tofu && buildUnderWay() && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5_000));
      tofu = await find();
    }
    tofu ??= await find();
  }
  if (!tofu) {
    notes.push(`OpenTofu not found (not built in ${tofuCacheDir()}: \`npm run tools tofu\`): shell services only`);
    return undefined;
  }
  const workerTofu = await findTofu({ env: workerEnv, build: false }).catch((err: Error) => `none (${err.message.split('\n')[0]})`);
  if (workerTofu !== tofu) {
    notes.push(`the worker's opentofu executor runs ${workerTofu}, not ${tofu}: set TUGBOAT_TOFU_PATH in the worker's environment; direct runs use the worker's binary`);
    return (await isExecutable(workerTofu)) ? workerTofu : undefined;
  }
  return tofu;
}

function buildUnderWay(): boolean {
  try {
    const owner = Number(readFileSync(path.join(tofuCacheDir(), '.build.lock'), 'utf8').trim());
    if (!owner) return false;
    process.kill(owner, 0);
    return true;
  } catch {
    return false;
  }
}

async function isExecutable(file: string): Promise<boolean> {
  return fs.access(file, fsConstants.X_OK).then(
    () => true,
    () => false,
  );
}

/** sh-01, tf-01, sh-02, tf-02, …: a chain, so the deployment's order is known and serial. */
function releaseUnits(perKind: number, withTofu: boolean): Unit[] {
  const units: Unit[] = [];
  for (let i = 1; i <= perKind; i++) {
    const n = String(i).padStart(2, '0');
    units.push({ name: `sh-${n}`, kind: 'shell' });
    if (withTofu) units.push({ name: `tf-${n}`, kind: 'tofu' });
  }
  return units;
}

function manifestOf(name: string, units: Unit[]): unknown {
  return {
    deployment: {
      name,
      environment: ENVIRONMENT,
      strategy: { max_parallel: 1 },
      services: units.map((u, i) => ({
        name: u.name,
        ...(u.kind === 'shell'
          ? { type: 'shell', config: { run: ['true'], cwd: FIXTURES } }
          : { type: 'terraform', config: { module: MODULE_DIR, vars: VARS } }),
        ...(i > 0 ? { dependencies: [units[i - 1].name] } : {}),
      })),
    },
  };
}

/** The opentofu executor's tofuEnv(): the worker's environment for automation. */
function tofuEnvOf(workerEnv: NodeJS.ProcessEnv, emptyCliConfig: string): NodeJS.ProcessEnv {
  const { TF_DATA_DIR: _shared, ...env } = workerEnv;
  let cliConfig = emptyCliConfig;
  try {
    if (env.TF_CLI_CONFIG_FILE && readFileSync(env.TF_CLI_CONFIG_FILE)) cliConfig = env.TF_CLI_CONFIG_FILE;
  } catch {
    // missing: the executor writes an empty one
  }
  return { ...env, TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
}

// ---------------------------------------------------------------------------------------------
// The two ways of running the release

interface DirectOptions {
  root: string;
  worker: WorkerFacts;
  tofu: string | undefined;
  tofuEnv: NodeJS.ProcessEnv;
  deploymentId: string;
}

async function runDirect(units: Unit[], opts: DirectOptions): Promise<DirectRun> {
  const started = performance.now();
  const perService = new Map<string, number>();
  const commands: DirectRun['commands'] = [];
  for (const unit of units) {
    const timed = unit.kind === 'shell' ? await directShell(unit, opts) : await directTofu(unit, opts);
    perService.set(unit.name, timed.reduce((sum, t) => sum + t.ms, 0));
    for (const t of timed) commands.push({ ...t, service: unit.name });
  }
  return { perService, commands, wallMs: performance.now() - started };
}

async function directShell(unit: Unit, opts: DirectOptions): Promise<Timed[]> {
  const inherited = Object.entries(opts.worker.env).filter(
    (e): e is [string, string] => e[1] !== undefined && (SHELL_INHERITED_ENV.includes(e[0]) || /^LC_[A-Z_]+$/.test(e[0])),
  );
  const dir = path.join(opts.root, unit.name);
  await fs.mkdir(dir, { recursive: true });
  const env = {
    ...Object.fromEntries(inherited),
    TUGBOAT_DEPLOYMENT_ID: opts.deploymentId,
    TUGBOAT_ENVIRONMENT: ENVIRONMENT,
    TUGBOAT_SERVICE: unit.name,
    TUGBOAT_VERSION: '',
    TUGBOAT_IDEMPOTENCY_KEY: `${opts.deploymentId}:${unit.name}:apply`,
    TUGBOAT_OUTPUTS: path.join(dir, 'outputs.json'),
  };
  return [{ label: 'shell run: true', ms: await timedSpawn(['true'], { cwd: FIXTURES, env }) }];
}

async function directTofu(unit: Unit, opts: DirectOptions): Promise<Timed[]> {
  const tofu = opts.tofu!;
  const statePath = path.join(opts.root, 'state', unit.name, 'terraform.tfstate');
  await fs.mkdir(path.dirname(statePath), { recursive: true });
  const workingCopy = async (step: string) => {
    const dir = path.join(opts.root, 'work', `${unit.name}-${step}`);
    await fs.mkdir(dir, { recursive: true });
    for (const file of await fs.readdir(MODULE_DIR)) await fs.copyFile(path.join(MODULE_DIR, file), path.join(dir, file));
    await fs.writeFile(path.join(dir, BACKEND_OVERRIDE_FILE), localBackendOverride(statePath));
    return dir;
  };
  const out: Timed[] = [];
  const cmd = async (label: string, dir: string, args: string[]) => {
    out.push({ label, ms: await timedSpawn([tofu, ...args], { cwd: dir, env: opts.tofuEnv }) });
  };
  const applyDir = await workingCopy('apply');
  await cmd('apply: init', applyDir, ['init', '-input=false', '-no-color']);
  await fs.writeFile(path.join(applyDir, TFVARS_FILE), JSON.stringify(VARS), { mode: 0o600 });
  await cmd('apply: plan', applyDir, ['plan', '-input=false', '-no-color', LOCK_TIMEOUT_ARG, `-out=${PLAN_FILE}`]);
  await cmd('apply: apply', applyDir, ['apply', '-input=false', '-no-color', LOCK_TIMEOUT_ARG, PLAN_FILE]);
  await Promise.all([TFVARS_FILE, PLAN_FILE].map((f) => fs.rm(path.join(applyDir, f), { force: true })));
  await cmd('apply: show -json', applyDir, ['show', '-json', '-no-color']);
  const verifyDir = await workingCopy('verify');
  await cmd('verify: init', verifyDir, ['init', '-input=false', '-no-color']);
  await cmd('verify: show -json', verifyDir, ['show', '-json', '-no-color']);
  return out;
}

/**
 * One init, `apply -auto-approve` (no separate plan process) and one `show -json`, read by both
 * apply and verify: what the executor's seven processes per service would be without a second
 * working copy and init for verify, and without the saved plan.
 */
async function runLean(units: Unit[], opts: { root: string; tofu: string; tofuEnv: NodeJS.ProcessEnv }): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const unit of units.filter((u) => u.kind === 'tofu')) {
    const dir = path.join(opts.root, unit.name);
    const statePath = path.join(opts.root, 'state', unit.name, 'terraform.tfstate');
    await fs.mkdir(dir, { recursive: true });
    await fs.mkdir(path.dirname(statePath), { recursive: true });
    for (const file of await fs.readdir(MODULE_DIR)) await fs.copyFile(path.join(MODULE_DIR, file), path.join(dir, file));
    await fs.writeFile(path.join(dir, BACKEND_OVERRIDE_FILE), localBackendOverride(statePath));
    await fs.writeFile(path.join(dir, TFVARS_FILE), JSON.stringify(VARS), { mode: 0o600 });
    const run = (args: string[]) => timedSpawn([opts.tofu, ...args], { cwd: dir, env: opts.tofuEnv });
    let ms = await run(['init', '-input=false', '-no-color']);
    ms += await run(['apply', '-auto-approve', '-input=false', '-no-color', LOCK_TIMEOUT_ARG]);
    ms += await run(['show', '-json', '-no-color']);
    out.set(unit.name, ms);
  }
  return out;
}

/** Spawn → exit of one process, argv only; a non-zero exit is an error (the direct run must match Tugboat's). */
function timedSpawn(argv: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.resume();
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const ms = performance.now() - started;
      if (code === 0) resolve(ms);
      else reject(new Error(`${path.basename(argv[0])} ${argv.slice(1).join(' ')} ${code !== null ? `exited ${code}` : `died of ${signal}`}: ${stderr.trim()}`));
    });
  });
}

async function runTugboat(ctx: ScenarioContext, units: Unit[], name: string): Promise<TugboatRun> {
  const outcome = await ctx.deploy(manifestOf(name, units));
  const run: TugboatRun = { wallMs: outcome.wallMs, phase: outcome.phase, children: new Map() };
  if (outcome.phase !== 'SUCCEEDED') return run;
  try {
    const progress = await outcome.handle.query(progressQuery);
    for (const unit of units) {
      const workflowId = progress.services[unit.name]?.workflowId;
      if (!workflowId) throw new Error(`no child workflow recorded for ${unit.name}`);
      run.children.set(unit.name, { kind: unit.kind, ...childTiming((await ctx.history({ workflowId })).history) });
    }
  } catch (err) {
    run.childrenError = (err as Error).message;
  }
  return run;
}

/** The child's start → close, and the time its activities spent between started and completed. */
function childTiming(history: temporal.api.history.v1.IHistory): Omit<ChildTiming, 'kind'> {
  const events = history.events ?? [];
  const at = (e: temporal.api.history.v1.IHistoryEvent) => tsToMs(e.eventTime!);
  const startedAt = new Map<string, number>();
  let activityMs = 0;
  for (const e of events) {
    if (e.activityTaskStartedEventAttributes) startedAt.set(String(e.activityTaskStartedEventAttributes.scheduledEventId), at(e));
    const done = e.activityTaskCompletedEventAttributes;
    if (done) activityMs += at(e) - (startedAt.get(String(done.scheduledEventId)) ?? at(e));
  }
  return { spanMs: at(events[events.length - 1]) - at(events[0]), activityMs };
}

// ---------------------------------------------------------------------------------------------
// Figures

interface FigureFacts {
  notes: string[];
  tofu: string | undefined;
  smoke: boolean;
  lean: Map<string, number> | undefined;
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function figuresOf(units: Unit[], directs: DirectRun[], tugboats: TugboatRun[], facts: FigureFacts): ScenarioResult {
  const n = units.length;
  const kinds: Kind[] = facts.tofu ? ['shell', 'tofu'] : ['shell'];
  const byKind = (kind: Kind) => units.filter((u) => u.kind === kind);
  // The direct time each Tugboat run is compared with: the mean of the direct runs either side of it.
  const directFor = (rep: number) => (directs.length > rep + 1 ? [directs[rep], directs[rep + 1]] : [directs[rep]]);
  const directOf = (rep: number, service: string) => mean(directFor(rep).map((d) => d.perService.get(service)!));
  const directTotal = (rep: number) => units.reduce((sum, u) => sum + directOf(rep, u.name), 0);

  const failed = tugboats.find((t) => t.phase !== 'SUCCEEDED');
  const splitError = failed ? `a Tugboat run ended ${failed.phase}` : tugboats.find((t) => t.childrenError)?.childrenError;
  const overheadPerRep = tugboats.map((t, rep) => (t.phase === 'SUCCEEDED' ? (t.wallMs - directTotal(rep)) / n : NaN));
  const spread = overheadPerRep.length > 1 ? ` (runs: ${overheadPerRep.map((x) => round(x, 0)).join(', ')} ms)` : '';
  const serialNote = 'serial: a chain of sh/tf services interleaved, max_parallel 1, so no overhead hides behind parallelism';

  const figures: Figure[] = [
    {
      key: '7.overhead_per_service_ms',
      label: `Tugboat overhead per service beyond the tools' own time (${n} services, serial)`,
      value: round(mean(overheadPerRep)),
      unit: 'ms',
      note: [failed ? `a Tugboat run ended ${failed.phase}` : `(deployment wall − same commands run directly) ÷ ${n}; ${serialNote}${spread}`, ...facts.notes].join('; '),
    },
  ];
  for (const kind of kinds) {
    const us = byKind(kind);
    const tool = mean(us.map((u) => mean(directs.map((d) => d.perService.get(u.name)!))));
    figures.push({
      key: `7.${kind}_tool_ms`,
      label: `${kind === 'shell' ? 'shell `true`' : 'OpenTofu terraform_data'}: the tools' own time per service, run directly`,
      value: round(tool),
      unit: 'ms',
      note: kind === 'shell' ? 'one spawn of true' : '7 tofu processes: init, plan, apply, show -json (apply step); init, show -json (verify step)',
    });
    const perRep = (pick: (c: ChildTiming) => number) =>
      tugboats.map((t, rep) => (splitError ? NaN : mean(us.map((u) => pick(t.children.get(u.name)!) - directOf(rep, u.name)))));
    figures.push({
      key: `7.${kind}_overhead_per_service_ms`,
      label: `${kind}: Tugboat's time per service (child workflow start → close) beyond the tools' own`,
      value: round(mean(perRep((c) => c.spanMs))),
      unit: 'ms',
      ...(splitError ? { note: splitError } : {}),
    });
    figures.push({
      key: `7.${kind}_in_step_overhead_ms`,
      label: `${kind}: of that, inside the executor's steps (activities started → completed, beyond the tools)`,
      value: round(mean(perRep((c) => c.activityMs))),
      unit: 'ms',
      ...(splitError ? { note: splitError } : {}),
    });
  }
  if (facts.lean) {
    figures.push({
      key: '7.tofu_lean_tool_ms',
      label: 'OpenTofu: the same apply as init, apply -auto-approve, show -json once (3 processes, not 7), run directly',
      value: round(mean([...facts.lean.values()])),
      unit: 'ms',
      note: "what the executor's own sequence costs beyond the shortest one: compare with tofu_tool_ms",
    });
  }
  const between = tugboats.map((t) => (splitError ? NaN : (t.wallMs - [...t.children.values()].reduce((s, c) => s + c.spanMs, 0)) / n));
  figures.push({
    key: '7.between_services_ms',
    label: 'per service, outside any child workflow (the parent scheduling the next one, the start and the end)',
    value: round(mean(between)),
    unit: 'ms',
    ...(splitError ? { note: splitError } : {}),
  });

  // Per command, for the record: where the tools' own time goes.
  const perCommand: Record<string, number> = {};
  const labels = [...new Set(directs.flatMap((d) => d.commands.map((c) => c.label)))];
  for (const label of labels) perCommand[label] = round(mean(directs.flatMap((d) => d.commands.filter((c) => c.label === label).map((c) => c.ms))));
  return {
    figures,
    details: {
      services: units.map((u) => u.name),
      tofu: facts.tofu ?? null,
      smoke: facts.smoke,
      directRuns: directs.map((d) => ({ wallMs: round(d.wallMs), toolMs: round([...d.perService.values()].reduce((a, b) => a + b, 0)) })),
      tugboatRuns: tugboats.map((t, rep) => ({
        wallMs: t.wallMs,
        phase: t.phase,
        directToolMs: round(directTotal(rep)),
        children: Object.fromEntries([...t.children].map(([name, c]) => [name, { spanMs: c.spanMs, activityMs: c.activityMs, directMs: round(directOf(rep, name)) }])),
        ...(t.childrenError ? { childrenError: t.childrenError } : {}),
      })),
      perCommandMs: perCommand,
    },
  };
}
