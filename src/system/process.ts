/**
 * The one module that spawns processes. Everything else goes through these two functions so that
 * side effects stay behind a small interface (and tests can see every process we start).
 * Commands are always an argv array, never a shell string: no quoting bugs, no shell injection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface ProcessExit {
  code: number | null;
  signal: string | null;
}

export interface CommandResult extends ProcessExit {
  stdout: string;
  stderr: string;
}

export interface RunCommandOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called with each output line (stdout and stderr) as it arrives. */
  onOutput?: (line: string) => void;
}

export interface StartProcessOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Append all output to this file. */
  logFile?: string;
  /** Called with each output line; ignored when detached (output goes only to logFile). */
  onLine?: (line: string) => void;
  /** Let the process outlive this one: own process group, not waited for, output only to logFile. */
  detached?: boolean;
}

export interface StopOptions {
  signal?: NodeJS.Signals;
  /** How long to wait after `signal` before SIGKILL. */
  graceMs?: number;
}

export interface ManagedProcess {
  pid: number;
  /** Resolves once the process has exited and its output has been read. */
  exited: Promise<ProcessExit>;
  /** SIGTERM (or `signal`), then SIGKILL after graceMs; resolves when the process is gone. */
  stop(opts?: StopOptions): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
}

/** Run a command to completion and collect its output. Rejects only if it cannot be started. */
export function runCommand(argv: string[], opts: RunCommandOptions = {}): Promise<CommandResult> {
  const [command, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    if (opts.onOutput) forEachLine(child, opts.onOutput);
    child.once('error', (err) => reject(new Error(`Could not run ${command}: ${err.message}`)));
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Start a long-running process and return a handle that can stop exactly that process. */
export function startProcess(argv: string[], opts: StartProcessOptions = {}): ManagedProcess {
  const [command, ...args] = argv;
  const logFd = opts.logFile ? fs.openSync(opts.logFile, 'a') : undefined;
  // A detached process must not write into pipes that die with us, so it writes to the log file.
  const output = opts.detached ? (logFd ?? 'ignore') : 'pipe';
  const child = spawn(command, args, {
    env: opts.env,
    cwd: opts.cwd,
    detached: opts.detached ?? false,
    stdio: ['ignore', output, output],
  });
  let exited = false;
  const exitedPromise = new Promise<ProcessExit>((resolve) => {
    child.once('close', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    });
  });
  // Swallow the async spawn error here; a missing pid is reported synchronously below.
  child.once('error', () => undefined);
  if (child.pid === undefined) {
    if (logFd !== undefined) fs.closeSync(logFd);
    throw new Error(`Could not start ${command} (does it exist and is it executable?)`);
  }

  if (opts.detached) {
    child.unref();
    if (logFd !== undefined) fs.closeSync(logFd); // the child holds its own copy
  } else {
    forEachLine(child, (line) => {
      if (logFd !== undefined) fs.writeSync(logFd, line + '\n');
      opts.onLine?.(line);
    });
    if (logFd !== undefined) void exitedPromise.then(() => fs.closeSync(logFd));
  }

  const pid = child.pid;
  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    // Once it has exited the PID may belong to someone else: never signal it again.
    if (!exited) child.kill(signal);
  };
  const stop = async ({ signal = 'SIGTERM', graceMs = 10_000 }: StopOptions = {}) => {
    if (exited) return;
    kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace-over'>((resolve) => (timer = setTimeout(() => resolve('grace-over'), graceMs)));
    const outcome = await Promise.race([exitedPromise, graceOver]);
    clearTimeout(timer);
    if (outcome === 'grace-over') kill('SIGKILL');
    await exitedPromise;
  };
  return { pid, exited: exitedPromise, stop, kill };
}

/** Split a child's stdout and stderr into lines; a trailing partial line is flushed at the end. */
function forEachLine(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (pending + chunk).split(/\r?\n/);
      pending = lines.pop() ?? '';
      lines.forEach((line) => onLine(line));
    });
    stream.on('end', () => {
      if (pending) onLine(pending);
      pending = '';
    });
  }
}
