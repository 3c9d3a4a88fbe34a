/**
 * The kubectl commands the executor runs, each through runTool (own process group, stopped on
 * cancellation) and each failure classified as transient or permanent. Commands that print
 * objects (`-o json`) are not heartbeated line by line: their lines are no progress, and a
 * Secret's data comes back base64-encoded, which redaction cannot recognise.
 */
import path from 'node:path';
import type { ProcessResult } from '../../system/process';
import { parseJsonText } from '../json';
import { describeExit, runTool } from '../run-tool';
import type { ExecutorContext } from '../types';
import { classifyKubeFailure, KubeUnknownKindError } from './classify';
import { itemsOf, kubectlType, type KubeObject, type ObjectRef } from './objects';

export interface KubectlOptions {
  binary: string;
  /** The worker's environment: KUBECONFIG comes from there. */
  env: NodeJS.ProcessEnv;
  /** `--context`, when the config names one. */
  context?: string;
  graceMs: number;
}

export interface RunOptions {
  /** Output as heartbeat lines (progress a person wants to see, e.g. rollout status). */
  beat?: boolean;
}

/** Where kubectl puts a namespaced object that names none: the one given, else the context's default. */
function namespaceArgs(namespace: string | undefined): string[] {
  return namespace ? ['-n', namespace] : [];
}

export class Kubectl {
  constructor(
    private readonly ctx: ExecutorContext,
    private readonly opts: KubectlOptions,
  ) {}

  /** Server-side apply as Tugboat's field manager; returns the objects as the server has them now. */
  async apply(file: string, namespace: string | undefined): Promise<KubeObject[]> {
    const args = ['apply', '--server-side', '--field-manager=tugboat', '--force-conflicts', ...namespaceArgs(namespace), '-f', file, '-o', 'json'];
    return itemsOf(this.json(await this.run(args)));
  }

  /**
   * The object as the server has it, or undefined when there is none, also when its kind is not
   * known to the server (yet: a CRD another service of the release installs; or any more).
   */
  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      const result = await this.run(['get', kubectlType(ref), ref.name, ...namespaceArgs(ref.namespace), '--ignore-not-found', '-o', 'json']);
      return result.stdout.trim() ? itemsOf(this.json(result))[0] : undefined;
    } catch (err) {
      if (err instanceof KubeUnknownKindError) return undefined;
      throw err;
    }
  }

  /** Objects of these types carrying the labels, in every namespace. */
  async list(types: string[], selector: string): Promise<KubeObject[]> {
    if (types.length === 0) return [];
    const result = await this.run(['get', types.join(','), '--all-namespaces', '-l', selector, '--ignore-not-found', '-o', 'json']);
    return result.stdout.trim() ? itemsOf(this.json(result)) : [];
  }

  /** Every object in a namespace, of every kind the server can list there. */
  async everythingIn(namespace: string): Promise<KubeObject[]> {
    const types = (await this.run(['api-resources', '--namespaced=true', '--verbs=list', '-o', 'name'])).stdout.split('\n').filter(Boolean);
    if (types.length === 0) return [];
    const result = await this.run(['get', types.join(','), '-n', namespace, '--ignore-not-found', '-o', 'json']);
    return result.stdout.trim() ? itemsOf(this.json(result)) : [];
  }

  /** Pods matching a label selector (for the reasons a rollout is stuck). */
  async pods(namespace: string | undefined, selector: string): Promise<KubeObject[]> {
    return itemsOf(this.json(await this.run(['get', 'pods', ...namespaceArgs(namespace), '-l', selector, '-o', 'json'])));
  }

  /**
   * Delete one object; with `wait`, until it is gone (its finalizers done). Dependents (a
   * Deployment's ReplicaSets and pods) go in the background: they carry no Tugboat label.
   */
  async delete(ref: ObjectRef, wait: { timeoutMs: number } | false): Promise<void> {
    const waitArgs = wait ? ['--wait=true', `--timeout=${Math.ceil(wait.timeoutMs / 1000)}s`] : ['--wait=false'];
    await this.run(['delete', kubectlType(ref), ref.name, ...namespaceArgs(ref.namespace), '--ignore-not-found', ...waitArgs]);
  }

  /** Set or remove (`null`) labels and annotations, leaving everything else (a Secret's data) as it is. */
  async relabel(ref: ObjectRef, labels: Record<string, string | null>, annotations: Record<string, string | null>): Promise<void> {
    const pairs = (values: Record<string, string | null>) => Object.entries(values).map(([k, v]) => (v === null ? `${k}-` : `${k}=${v}`));
    const target = [kubectlType(ref), ref.name, ...namespaceArgs(ref.namespace)];
    if (Object.keys(labels).length) await this.run(['label', ...target, '--overwrite', ...pairs(labels)]);
    if (Object.keys(annotations).length) await this.run(['annotate', ...target, '--overwrite', ...pairs(annotations)]);
  }

  /**
   * Wait for a workload's rollout. Resolves with kubectl's result either way: a rollout that does
   * not complete is the caller's to explain (it reads the workload and its pods); only kubectl
   * failing to talk to the API is thrown.
   */
  async rolloutStatus(ref: ObjectRef, timeoutMs: number): Promise<ProcessResult> {
    const args = ['rollout', 'status', `${kubectlType(ref)}/${ref.name}`, ...namespaceArgs(ref.namespace), `--timeout=${Math.max(1, Math.ceil(timeoutMs / 1000))}s`];
    return this.run(args, { beat: true }, (result) => /exceeded its progress deadline|timed out waiting/.test(result.stderrTail.join('\n')));
  }

  /** A kustomization rendered to one YAML stream. */
  async kustomize(dir: string): Promise<string> {
    return (await this.run(['kustomize', dir])).stdout;
  }

  /** Whether the cluster answers, within the given time (kubectl's own request timeout). */
  async version(timeoutMs: number): Promise<void> {
    await this.run(['version', '-o', 'json', `--request-timeout=${Math.ceil(timeoutMs / 1000)}s`]);
  }

  private json(result: ProcessResult): unknown {
    try {
      return parseJsonText(result.stdout);
    } catch (err) {
      throw classifyKubeFailure(`kubectl printed what is not JSON: ${(err as Error).message}`, { code: 1, signal: null }, '');
    }
  }

  /** `accept`: a failure the caller handles itself (returned, not thrown). */
  private async run(args: string[], { beat = false }: RunOptions = {}, accept?: (result: ProcessResult) => boolean): Promise<ProcessResult> {
    const { ctx, opts } = this;
    const argv = [opts.binary, ...(opts.context ? ['--context', opts.context] : []), ...args];
    const cwd = ctx.deployment.baseDir;
    // Output as heartbeats only when asked: `-o json` output may hold a Secret's data, base64-encoded.
    const result = await runTool(ctx, argv, { cwd, env: opts.env, graceMs: opts.graceMs, beatLine: beat ? undefined : () => undefined });
    if (result.code === 0 || accept?.(result)) return result;
    const what = `${path.basename(opts.binary)} ${args.slice(0, args[0] === 'rollout' ? 2 : 1).join(' ')}`;
    throw classifyKubeFailure(describeExit(ctx, what, result), result, result.stderrTail.join('\n'));
  }
}
