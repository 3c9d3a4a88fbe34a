/**
 * The helm commands the executor runs, each in its own process group (runProcess: stopped on
 * cancellation, SIGTERM then SIGKILL after the grace period) with each failure classified.
 *
 * Not runTool: helm's stdout is JSON holding the rendered manifest (a Secret's data, base64, which
 * no redaction recognises) and the user's values, so it is parsed here and never sent as a
 * heartbeat. What `status` shows instead is helm's `--debug` log on stderr, its prefix stripped
 * ("Deployment is not ready: shop/web. 0 out of 1 expected pods are ready"); helm logs names and
 * counts there, never values.
 */
import type { ProcessResult } from '../../system/process';
import { parseJsonText } from '../json';
import type { RunningCommands } from '../running-commands';
import { howItEnded, runTool } from '../run-tool';
import type { ExecutorContext } from '../types';
import { classifyHelmFailure, isReleaseNotFound } from './classify';
import { parseHistory, type Revision } from './release';

export interface HelmOptions {
  binary: string;
  /** The worker's environment with helm's own directories (see index.ts). */
  env: NodeJS.ProcessEnv;
  /** SIGTERM → SIGKILL on cancellation: on SIGTERM helm marks the release failed rather than leaving it pending. */
  graceMs: number;
  /** `--kube-context`; default: the kubeconfig's current context. */
  context?: string;
  /** `--namespace`; default: the context's namespace. */
  namespace?: string;
  /** Where commands that change the release are recorded, so that a later attempt waits for them. */
  running?: RunningCommands;
}

/** What apply reports from `helm upgrade -o json`; the rest of that output (manifest, values) is dropped. */
export interface UpgradeResult {
  revision: number;
  namespace: string;
  chartName: string;
  chartVersion: string;
}

interface RunOptions {
  /** Recorded as running for the service (it changes the release). */
  changing?: boolean;
  /** Ran with `--wait`, to deploy (a deadline is then the release's fault) or to undo (worth retrying). */
  waited?: 'deploy' | 'undo';
  /** `release: not found` is an answer, not a failure. */
  notFoundOk?: boolean;
}

interface HelmRun {
  result: ProcessResult;
  /** helm's `Error:` text, without the stack trace `--debug` adds. */
  errorText: string;
}

/** `upgrade.go:447: 2026-01-01 10:00:00.1 +0000 UTC m=+0.2 [debug] ` */
const DEBUG_PREFIX = /^\S+\.go:\d+: .*?\[debug\] /;
/** A frame of the stack trace `--debug` prints after the error: `main.main` or `\t/path/file.go:91`. */
const STACK_FRAME = /^\s|^[\w./*()-]+$/;

export class HelmCli {
  constructor(
    private readonly ctx: ExecutorContext,
    private readonly opts: HelmOptions,
  ) {}

  /** The release's revisions, oldest first; null when helm has no record of it. */
  async history(release: string): Promise<Revision[] | null> {
    const { result } = await this.run(['history', release, '-o', 'json'], { notFoundOk: true });
    return result.code === 0 ? parseHistory(result.stdout) : null;
  }

  /** The namespace helm uses when given none: the kubeconfig context's (`helm env` reads it without asking the cluster). */
  async defaultNamespace(): Promise<string> {
    const { result } = await this.run(['env']);
    return /^HELM_NAMESPACE="([^"]*)"$/m.exec(result.stdout)?.[1] || 'default';
  }

  /** The objects the release's current revision made (YAML documents). Holds Secret data: never logged. */
  async manifest(release: string): Promise<string> {
    return (await this.run(['get', 'manifest', release])).result.stdout;
  }

  async upgradeInstall(release: string, chart: string, valuesFiles: string[], timeoutMs: number, description: string): Promise<UpgradeResult> {
    const args = ['upgrade', '--install', release, chart, '--create-namespace', '--wait', '--timeout', `${timeoutMs}ms`];
    for (const file of valuesFiles) args.push('-f', file);
    args.push('--description', description, '-o', 'json', '--debug');
    const { result } = await this.run(args, { changing: true, waited: 'deploy' });
    return upgradeResultOf(result.stdout);
  }

  async rollback(release: string, revision: number, timeoutMs: number): Promise<void> {
    await this.run(['rollback', release, String(revision), '--wait', '--timeout', `${timeoutMs}ms`, '--debug'], { changing: true, waited: 'undo' });
  }

  /**
   * Removes the release and waits for its objects to be gone. False when there was none: an
   * uninstall that already happened is done (whatever the helm version: not every one knows
   * `--ignore-not-found`).
   */
  async uninstall(release: string, timeoutMs: number): Promise<boolean> {
    const { result } = await this.run(['uninstall', release, '--wait', '--timeout', `${timeoutMs}ms`, '--debug'], {
      changing: true,
      waited: 'undo',
      notFoundOk: true,
    });
    return result.code === 0;
  }

  private async run(args: string[], opts: RunOptions = {}): Promise<HelmRun> {
    const { ctx } = this;
    const { binary, env, graceMs, context, namespace, running } = this.opts;
    const argv = [binary, ...args, ...(namespace ? ['--namespace', namespace] : []), ...(context ? ['--kube-context', context] : [])];
    const errorLines: string[] = [];
    let inError = false;
    let lastNotReady: string | undefined;
    let pgid: number | undefined;
    /** Keeps helm's error and its last "not ready" line; shows only --debug's progress lines (stdout's JSON holds values). */
    const beatLine = (raw: string, stream: 'stdout' | 'stderr'): string | undefined => {
      if (stream !== 'stderr') return undefined;
      const line = raw.trimEnd();
      if (!line.trim()) return undefined;
      if (line.startsWith('Error: ')) inError = true;
      else if (inError && (DEBUG_PREFIX.test(line) || STACK_FRAME.test(line) || errorLines.join('\n').includes(line))) inError = false;
      if (inError && errorLines.length < 10) errorLines.push(line);
      if (inError || STACK_FRAME.test(line)) return undefined;
      const shown = line.replace(DEBUG_PREFIX, '');
      if (/\bnot ready\b/i.test(shown)) lastNotReady = shown;
      return shown;
    };
    let result: ProcessResult;
    try {
      result = await runTool(ctx, argv, {
        cwd: ctx.deployment.baseDir,
        env,
        graceMs,
        beatLine,
        onStart: (pid) => {
          pgid = pid;
          if (opts.changing) running?.started(ctx, `helm ${args[0]}`, pid);
        },
      });
    } finally {
      // Ended here (by itself, or stopped on cancellation): only a dead worker leaves its record behind.
      if (opts.changing && pgid !== undefined) running?.forget(ctx.idempotencyKey, pgid);
    }
    // runTool has thrown already if the step was cancelled.
    const errorText = (errorLines.length > 0 ? errorLines : result.stderrTail.filter((l) => !DEBUG_PREFIX.test(l)))
      .join('\n')
      .replace(/^Error: /, '');
    if (result.code === 0 || (opts.notFoundOk && isReleaseNotFound(errorText))) return { result, errorText };
    const how = howItEnded(result);
    const seen = lastNotReady && opts.waited ? `\nlast seen while waiting: ${lastNotReady}` : '';
    const message = ctx.secrets.redact(`helm ${args[0]} ${how}: ${errorText}${seen}`);
    throw classifyHelmFailure(message, result, errorText, opts.waited ?? false);
  }
}

/** The fields apply reports, picked from the release JSON (which also holds the values and the manifest). */
function upgradeResultOf(stdout: string): UpgradeResult {
  const release = parseJsonText(stdout) as {
    version?: unknown;
    namespace?: unknown;
    chart?: { metadata?: { name?: unknown; version?: unknown } };
  };
  const { version, namespace } = release;
  const metadata = release.chart?.metadata ?? {};
  if (typeof version !== 'number' || typeof namespace !== 'string') throw new Error('helm upgrade printed a release without a revision or namespace');
  return { revision: version, namespace, chartName: String(metadata.name ?? ''), chartVersion: String(metadata.version ?? '') };
}
