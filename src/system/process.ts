/**
 * The one module that spawns processes. Everything else goes through these two functions so that
 * side effects stay behind a small interface (and tests can see every process we start).
 * Commands are always an argv array, never a shell string: no quoting bugs, no shell injection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { identifyGroup, signalGroup, stopGroup } from './process-group';

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

export interface RunProcessOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Aborting stops the whole process group: SIGTERM, then SIGKILL after graceMs. */
  signal?: AbortSignal;
  graceMs?: number;
  /** Each output line as it arrives (stdout and stderr), e.g. for heartbeats. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** stdout kept as text up to this many bytes (lines are still reported); the tail of stderr is always kept. */
  maxStdoutBytes?: number;
  /** Lines of stderr kept for the failure message. */
  stderrTailLines?: number;
  /** Called once the process runs, with its PID (which is also its process group's ID). */
  onStart?: (pid: number) => void;
}

export interface ProcessResult extends ProcessExit {
  stdout: string;
  /** stdout passed maxStdoutBytes: `stdout` holds only its beginning. */
  stdoutTruncated: boolean;
  /** The last lines of stderr. */
  stderrTail: string[];
  /** True when the run was stopped because the signal aborted. */
  aborted: boolean;
}

/**
 * Run a tool or a user's script to completion in its own process group, so that cancellation
 * stops everything it started (a script's children included), not just the first process. Rejects
 * only if it cannot be started (the error names the program).
 */
export function runProcess(argv: string[], opts: RunProcessOptions = {}): Promise<ProcessResult> {
  const [command, ...args] = argv;
  const graceMs = opts.graceMs ?? 10_000;
  const tailLines = opts.stderrTailLines ?? 20;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(abortError(opts.signal));
    // Output goes to files, not pipes: a tool whose worker was killed keeps running (it may hold a
    // state lock, mid-apply) and must not die of SIGPIPE on its next line; and a background process
    // a script leaves behind cannot hold the step open by keeping a pipe. The files are unlinked
    // as soon as the child has them open: raw (unredacted) output never outlives the call, even if
    // this process is killed.
    const output = openOutputFiles();
    let child: ChildProcess;
    try {
      // detached: the child leads a new process group, whose ID is its PID.
      child = spawn(command, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', output.writeOut, output.writeErr], detached: true });
    } catch (error) {
      output.close();
      // A synchronous throw (an argument with a NUL byte, say) quotes the arguments: never pass that on.
      return reject(new Error(`could not run ${command}: ${(error as NodeJS.ErrnoException).code ?? 'invalid arguments'}`));
    } finally {
      output.closeWriters(); // the child holds its own copies
    }
    // Named by ID and start time from here on: once it ended, its number may be someone else's.
    const group = child.pid === undefined ? undefined : identifyGroup(child.pid);
    if (child.pid !== undefined) opts.onStart?.(child.pid);
    const stderrTail: string[] = [];
    const out = new FdLines(output.readOut, opts.maxStdoutBytes ?? 64 * 1024 * 1024, (line) => opts.onLine?.(line, 'stdout'));
    const err = new FdLines(output.readErr, 0, (line) => {
      stderrTail.push(line);
      if (stderrTail.length > tailLines) stderrTail.shift();
      opts.onLine?.(line, 'stderr');
    });
    const poller = setInterval(() => {
      out.poll();
      err.poll();
    }, OUTPUT_POLL_MS);
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      aborted = true;
      if (!group) return;
      signalGroup(group, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(group, 'SIGKILL'), graceMs);
    };
    const finish = () => {
      clearInterval(poller);
      opts.signal?.removeEventListener('abort', onAbort);
      output.close();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error) => {
      finish();
      // The cause keeps err.code (ENOENT, EACCES, ENOEXEC) for callers that classify it.
      reject(new Error(`could not run ${command}: ${error.message}`, { cause: error }));
    });
    child.once('exit', async (code, signal) => {
      // The leader is gone; on a cancelled run, so must be everything it started.
      if (aborted && group) await stopGroup(group, graceMs);
      clearTimeout(killTimer);
      out.poll(true);
      err.poll(true);
      finish();
      // Finished by itself before the abort reached it: that is a success, not a cancellation.
      const completed = code === 0 && signal === null;
      resolve({ code, signal, stdout: out.text, stdoutTruncated: out.truncated, stderrTail, aborted: aborted && !completed });
    });
  });
}

const OUTPUT_POLL_MS = 100;

/** Two files for a child's stdout and stderr, already unlinked: only the open descriptors remain. */
function openOutputFiles() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-run-'));
  const open = (name: string) => {
    const file = path.join(dir, name);
    const write = fs.openSync(file, 'w', 0o600);
    const read = fs.openSync(file, 'r');
    return { write, read };
  };
  const o = open('stdout');
  const e = open('stderr');
  fs.rmSync(dir, { recursive: true, force: true });
  let writersOpen = true;
  let readersOpen = true;
  const closeWriters = () => {
    if (!writersOpen) return;
    writersOpen = false;
    fs.closeSync(o.write);
    fs.closeSync(e.write);
  };
  return {
    writeOut: o.write,
    writeErr: e.write,
    readOut: o.read,
    readErr: e.read,
    closeWriters,
    close() {
      closeWriters();
      if (!readersOpen) return;
      readersOpen = false;
      fs.closeSync(o.read);
      fs.closeSync(e.read);
    },
  };
}

/** Reads a growing output file, through its descriptor, as lines; keeps up to maxText bytes as text. */
class FdLines {
  text = '';
  truncated = false;
  private offset = 0;
  private pending = '';
  private readonly decoder = new StringDecoder('utf8');
  private readonly buffer = Buffer.alloc(64 * 1024);

  constructor(
    private readonly fd: number,
    private readonly maxText: number,
    private readonly onLine: (line: string) => void,
  ) {}

  /** Everything written since the last poll; `final`: the writer is done, flush a partial last line. */
  poll(final = false): void {
    let chunk = '';
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(this.fd, this.buffer, 0, this.buffer.length, this.offset);
      } catch {
        return; // closed already
      }
      if (n === 0) break;
      this.offset += n;
      chunk += this.decoder.write(this.buffer.subarray(0, n));
    }
    if (final) chunk += this.decoder.end();
    // Text stops at the limit, whole: no holes, and the caller is told.
    if (!this.truncated) {
      if (this.text.length + chunk.length <= this.maxText) this.text += chunk;
      else if (this.maxText > 0) this.truncated = true;
    }
    const lines = (this.pending + chunk).split(/\r?\n/);
    this.pending = lines.pop() ?? '';
    lines.forEach((line) => this.onLine(line));
    if (final && this.pending) {
      this.onLine(this.pending);
      this.pending = '';
    }
  }
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted before it started');
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
  forEachStreamLine(child, (line) => onLine(line));
}

function forEachStreamLine(child: ChildProcess, onLine: (line: string, stream: 'stdout' | 'stderr') => void): void {
  for (const [name, stream] of [['stdout', child.stdout], ['stderr', child.stderr]] as const) {
    if (!stream) continue;
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (pending + chunk).split(/\r?\n/);
      pending = lines.pop() ?? '';
      lines.forEach((line) => onLine(line, name));
    });
    stream.on('end', () => {
      if (pending) onLine(pending, name);
      pending = '';
    });
  }
}
