/**
 * How executors run a program for a step: through runProcess (own process group, stopped on
 * cancellation), each output line redacted and sent as the heartbeat's `line` (what `status`
 * shows beside the running step), and the stderr tail kept for the failure message.
 */
import { runProcess, type ProcessResult } from '../system/process';
import type { ExecutorContext } from './types';

export interface RunToolOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** SIGTERM → SIGKILL on cancellation. */
  graceMs: number;
  maxStdoutBytes?: number;
  /** The process's PID, which is also its process group's ID (to find it again after a crash). */
  onStart?: (pid: number) => void;
  /**
   * What of an output line (colours stripped) the heartbeat shows; undefined: nothing. Default:
   * the line. A tool whose output can hold secrets in forms redaction cannot see (JSON with
   * base64 data) or is noise shows only what this returns.
   */
  beatLine?: (line: string, stream: 'stdout' | 'stderr') => string | undefined;
}

/** Heartbeats are throttled by the SDK anyway; this keeps a chatty tool from flooding the beat function. */
const LINE_BEAT_EVERY_MS = 250;
const MAX_LINE_CHARS = 300;

export async function runTool(ctx: ExecutorContext, argv: string[], opts: RunToolOptions): Promise<ProcessResult> {
  let lastBeat = 0;
  const result = await runProcess(argv, {
    cwd: opts.cwd,
    env: opts.env,
    signal: ctx.signal,
    graceMs: opts.graceMs,
    maxStdoutBytes: opts.maxStdoutBytes,
    onStart: opts.onStart,
    onLine: (raw, stream) => {
      const line = opts.beatLine ? opts.beatLine(stripAnsi(raw), stream) : stripAnsi(raw);
      const now = Date.now();
      if (line === undefined || !line.trim() || now - lastBeat < LINE_BEAT_EVERY_MS) return;
      lastBeat = now;
      ctx.heartbeat({ line: ctx.secrets.redact(line).slice(0, MAX_LINE_CHARS) });
    },
  });
  // Cancelled: report it as the abort it is (the step runner turns it into a cancellation or hand-back).
  if (result.aborted) ctx.signal.throwIfAborted();
  return result;
}

/** "exited 3" / "was killed by SIGTERM". */
export function howItEnded(result: Pick<ProcessResult, 'code' | 'signal'>): string {
  return result.code !== null ? `exited ${result.code}` : `was killed by ${result.signal}`;
}

/** "exited 3" / "was killed by SIGTERM", then the last lines of stderr, secrets redacted. */
export function describeExit(ctx: ExecutorContext, what: string, result: ProcessResult): string {
  const how = howItEnded(result);
  const tail = result.stderrTail.map(stripAnsi).filter((l) => l.trim()).join('\n');
  return ctx.secrets.redact(`${what} ${how}${tail ? `:\n${tail}` : ''}`);
}

/** Tools colour their output for terminals; Temporal's UI and our logs are not terminals. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}
