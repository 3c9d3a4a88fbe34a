/**
 * The tofu commands a step runs, each through runTool (own process group, output lines as
 * heartbeats, stopped on cancellation) and each failure classified as transient or permanent.
 */
import path from 'node:path';
import { runProcess, type ProcessResult } from '../../system/process';
import { describeExit, runTool } from '../run-tool';
import type { ExecutorContext } from '../types';
import { classifyTofuFailure } from './classify';
import { parseShowJson, type ShowJson } from './show-json';

export interface TofuOptions {
  binary: string;
  env: NodeJS.ProcessEnv;
  /** SIGTERM → SIGKILL on cancellation: tofu stops gracefully (writes state, releases the lock) if given time. */
  graceMs: number;
  lockTimeoutMs: number;
}

export class TofuCli {
  constructor(
    private readonly ctx: ExecutorContext,
    private readonly opts: TofuOptions,
  ) {}

  /** The same commands with more in tofu's environment (what one backend needs, e.g. the pg backend's PG_CONN_STR). */
  withEnv(extra: NodeJS.ProcessEnv): TofuCli {
    return new TofuCli(this.ctx, { ...this.opts, env: { ...this.opts.env, ...extra } });
  }

  init(dir: string): Promise<ProcessResult> {
    return this.run(dir, ['init', '-input=false', '-no-color']);
  }

  plan(dir: string, planFile: string): Promise<ProcessResult> {
    return this.run(dir, ['plan', '-input=false', '-no-color', this.lockTimeout(), `-out=${planFile}`]);
  }

  apply(dir: string, planFile: string): Promise<ProcessResult> {
    return this.run(dir, ['apply', '-input=false', '-no-color', this.lockTimeout(), planFile]);
  }

  destroy(dir: string): Promise<ProcessResult> {
    return this.run(dir, ['destroy', '-auto-approve', '-input=false', '-no-color', this.lockTimeout()]);
  }

  /** The state as JSON. Not heartbeated: one line holding every attribute is no progress line. */
  async show(dir: string): Promise<ShowJson> {
    const result = await this.run(dir, ['show', '-json', '-no-color'], { quiet: true });
    return parseShowJson(result.stdout);
  }

  private lockTimeout(): string {
    return `-lock-timeout=${this.opts.lockTimeoutMs}ms`;
  }

  private async run(cwd: string, args: string[], { quiet = false } = {}): Promise<ProcessResult> {
    const { ctx, opts } = this;
    const argv = [opts.binary, ...args];
    const result = quiet
      ? await runProcess(argv, { cwd, env: opts.env, signal: ctx.signal, graceMs: opts.graceMs })
      : await runTool(ctx, argv, { cwd, env: opts.env, graceMs: opts.graceMs });
    if (result.aborted) ctx.signal.throwIfAborted();
    if (result.code === 0) return result;
    const message = describeExit(ctx, `${path.basename(opts.binary)} ${args[0]}`, result);
    throw classifyTofuFailure(message, result, result.stderrTail.join('\n'));
  }
}
