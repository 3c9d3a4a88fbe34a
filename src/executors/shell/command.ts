/**
 * Running one of a service's commands (run, undo, verify, inventory): where, with which
 * environment, with a private directory for the files it exchanges with Tugboat, and how its exit
 * is classified. Secrets in `env` are resolved here, for this command only. `run` and `undo` change
 * the world: never two of one service at once (../running-commands.ts).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ProcessResult } from '../../system/process';
import { parseDuration, type ServiceSpec } from '../../manifest/schema';
import { PermanentDeployError, TransientDeployError } from '../errors';
import { describeExit, runTool } from '../run-tool';
import { parseConfig } from '../service-record';
import type { ExecutorContext, ExecutorDependencies } from '../types';
import { MalformedScriptOutputError, readOutputsFile, type ScriptOutputs } from './outputs-file';
import { cwdProblem, programProblem, resolveProgram } from './program';
import { RunningCommands } from '../running-commands';
import { shellConfigSchema, type ShellConfig } from './schema';

export type CommandName = 'run' | 'undo' | 'verify' | 'inventory';
export const COMMAND_NAMES: readonly CommandName[] = ['run', 'undo', 'verify', 'inventory'];
/** The commands that change the world; verify and inventory only look. */
const CHANGING: readonly CommandName[] = ['run', 'undo'];

/**
 * What a script inherits from the worker: enough to find programs and behave like a login session,
 * nothing else. The worker's environment holds its own credentials (and every service's secrets):
 * a script gets a secret only by naming it in `env`, where it is resolved and redacted.
 */
const INHERITED_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR'];
const INHERITED_ENV_PATTERN = /^LC_[A-Z_]+$/;

export interface CommandOptions {
  /** Extra variables for this command only (TUGBOAT_UNDO, ...). */
  env?: Record<string, string>;
  /** Files for the command, by the variable that carries their path: written into its private directory. */
  files?: Record<string, string>;
}

export interface CommandRun {
  result: ProcessResult;
  /** What `run` wrote to $TUGBOAT_OUTPUTS (read when it exited 0); the other commands' files are not read. */
  written?: ScriptOutputs;
}

export function shellConfig(service: ServiceSpec): ShellConfig {
  return parseConfig(service, 'shell', shellConfigSchema);
}

/** The PATH the OS searches for a bare program name: the command's own when `env` sets one. */
export function searchPath(deps: ExecutorDependencies, config: ShellConfig): string | undefined {
  return typeof config.env.PATH === 'string' ? config.env.PATH : deps.env.PATH;
}

/** Runs the command to its end (or cancellation); a non-zero exit is the caller's to judge. */
export async function runCommand(
  ctx: ExecutorContext,
  deps: ExecutorDependencies,
  config: ShellConfig,
  name: CommandName,
  opts: CommandOptions = {},
): Promise<CommandRun> {
  const [program, ...args] = config[name]!;
  const cwd = path.resolve(ctx.deployment.baseDir, config.cwd);
  const badCwd = await cwdProblem(cwd);
  if (badCwd) throw new PermanentDeployError(`the ${name} command cannot start: ${badCwd}`);
  const graceMs = parseDuration(config.kill_grace);
  const running = CHANGING.includes(name) ? new RunningCommands(deps.dataDir, 'shell') : undefined;
  await running?.waitForPrevious(ctx, graceMs);

  // Private (0700) and per command: outputs of one run never leak into the next, and the previous
  // outputs of a restore are readable by this user only.
  await fs.mkdir(path.join(deps.dataDir, 'shell'), { recursive: true });
  const dir = await fs.mkdtemp(path.join(deps.dataDir, 'shell', 'cmd-'));
  try {
    const outputsFile = path.join(dir, 'outputs.json');
    const fileEnv: Record<string, string> = {};
    for (const [variable, content] of Object.entries(opts.files ?? {})) {
      fileEnv[variable] = path.join(dir, `${variable.toLowerCase()}.json`);
      await fs.writeFile(fileEnv[variable], content, { mode: 0o600 });
    }
    const env = {
      ...inheritedEnv(deps.env),
      ...(await resolveEnv(ctx, config)),
      ...opts.env,
      ...fileEnv,
      // Last, so a manifest cannot spoof what identifies the step.
      TUGBOAT_DEPLOYMENT_ID: ctx.deploymentId,
      TUGBOAT_ENVIRONMENT: ctx.deployment.environment,
      TUGBOAT_SERVICE: ctx.service.name,
      TUGBOAT_VERSION: ctx.service.version ?? '',
      TUGBOAT_IDEMPOTENCY_KEY: ctx.idempotencyKey,
      TUGBOAT_OUTPUTS: outputsFile,
    };
    let result: ProcessResult;
    let pgid: number | undefined;
    try {
      result = await runTool(ctx, [resolveProgram(program, ctx.deployment.baseDir), ...args], {
        cwd,
        env,
        graceMs,
        onStart: (pid) => {
          pgid = pid;
          running?.started(ctx, name, pid);
        },
      });
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      throw await startFailure(deps, config, ctx.deployment.baseDir, name, err as Error);
    } finally {
      // Ended here (by itself, or stopped on cancellation): only a dead worker leaves its record behind.
      if (pgid !== undefined) running?.forget(ctx.idempotencyKey, pgid);
    }
    if (name !== 'run' || result.code !== 0) return { result };
    return { result, written: await readWritten(ctx, name, outputsFile) };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Exit 0 passes; a listed transient code is worth a retry; anything else (a signal included) is permanent. */
export function throwUnlessSucceeded(ctx: ExecutorContext, config: ShellConfig, name: CommandName, result: ProcessResult): void {
  if (result.code === 0) return;
  const message = describeExit(ctx, `the ${name} command ${config[name]![0]}`, result);
  if (result.code !== null && config.transient_exit_codes.includes(result.code)) throw new TransientDeployError(message);
  throw new PermanentDeployError(message);
}

function inheritedEnv(workerEnv: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(workerEnv).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && (INHERITED_ENV.includes(entry[0]) || INHERITED_ENV_PATTERN.test(entry[0])),
    ),
  );
}

async function resolveEnv(ctx: ExecutorContext, config: ShellConfig): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const [variable, item] of Object.entries(config.env)) {
    try {
      env[variable] = await ctx.secrets.value(item);
    } catch (err) {
      // An unset variable or unreadable file will not fix itself by retrying this attempt.
      throw new PermanentDeployError(`config.env.${variable}: ${(err as Error).message}`, { cause: err });
    }
  }
  return env;
}

async function readWritten(ctx: ExecutorContext, name: CommandName, file: string): Promise<ScriptOutputs | undefined> {
  try {
    return await readOutputsFile(file);
  } catch (err) {
    if (!(err instanceof MalformedScriptOutputError)) throw err;
    throw new PermanentDeployError(ctx.secrets.redact(`the ${name} command wrote a malformed outputs file ($TUGBOAT_OUTPUTS): ${err.message}`));
  }
}

/**
 * A program that cannot be started will not start on a retry either: say which file and why. A
 * spawn failure with nothing wrong on disk (EAGAIN: out of processes for now) stays transient.
 */
async function startFailure(deps: ExecutorDependencies, config: ShellConfig, baseDir: string, name: CommandName, err: Error): Promise<Error> {
  const program = config[name]![0];
  const problem = await programProblem(program, baseDir, searchPath(deps, config));
  if (problem) return new PermanentDeployError(`the ${name} command cannot start: ${problem}`, { cause: err });
  if (/\b(ENOENT|EACCES|ENOEXEC)\b/.test(err.message)) {
    return new PermanentDeployError(
      `the ${name} command ${resolveProgram(program, baseDir)} cannot start (${err.message}); is the interpreter on its #! line installed on the worker?`,
      { cause: err },
    );
  }
  return err;
}
