/**
 * Awaiting workloads' rollouts, and saying why one did not complete: `kubectl rollout status`
 * only says that it timed out or exceeded its progress deadline; the reason a person can act on
 * (no node matches the selector, the image cannot be pulled, the container crashes) is on the
 * workload's conditions and its pods.
 */
import { PermanentDeployError, TransientDeployError } from '../errors';
import type { Kubectl } from './kubectl-cli';
import { describeRef, WORKLOAD_KINDS, type KubeObject, type ObjectRef } from './objects';

/** A rollout that did not complete within `wait.timeout` or its progress deadline: the same objects fail the same way. */
export class RolloutFailedError extends PermanentDeployError {}
/** A restored workload's rollout did not complete: retried by the rollback's policy (capacity may come back), then blocked for an operator. */
export class RestoreRolloutError extends TransientDeployError {}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** A LabelSelector as kubectl's `-l` (set-based expressions included). */
export function selectorString(selector: LabelSelector | undefined): string | undefined {
  if (!selector) return undefined;
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = `(${(e.values ?? []).join(',')})`;
    if (e.operator === 'In') parts.push(`${e.key} in ${values}`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin ${values}`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.length ? parts.join(',') : undefined;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

/** A workload's own account: a progress deadline exceeded, a ReplicaFailure (quota, admission). */
export function workloadProblems(workload: KubeObject): string[] {
  const conditions = ((workload.status as { conditions?: Condition[] } | undefined)?.conditions ?? []);
  return conditions
    .filter((c) => (c.type === 'Progressing' && c.status === 'False') || (c.type === 'ReplicaFailure' && c.status === 'True'))
    .map((c) => `${c.reason ?? c.type}${c.message ? `: ${c.message}` : ''}`);
}

/** Waiting reasons that mean a container will not start by itself waiting longer. */
const STUCK_WAITING = /BackOff|ErrImagePull|InvalidImageName|CreateContainerConfigError|CreateContainerError|RunContainerError/;

/** Why the pods are not ready: unschedulable, image pull back-off, crashing, each said once. */
export function podProblems(pods: KubeObject[]): string[] {
  const found = new Set<string>();
  for (const pod of pods) {
    const status = (pod.status ?? {}) as {
      conditions?: Condition[];
      containerStatuses?: Array<{ name: string; state?: { waiting?: { reason?: string; message?: string }; terminated?: { reason?: string; exitCode?: number } } }>;
      initContainerStatuses?: Array<{ name: string; state?: { waiting?: { reason?: string; message?: string } } }>;
    };
    const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled');
    if (scheduled?.status === 'False') found.add(`${scheduled.reason ?? 'not scheduled'}${scheduled.message ? `: ${scheduled.message}` : ''}`);
    for (const c of [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])]) {
      const waiting = c.state?.waiting;
      if (waiting?.reason && STUCK_WAITING.test(waiting.reason)) found.add(`container ${c.name}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`);
    }
  }
  return [...found];
}

export interface AwaitOptions {
  deadlineMs: number;
  /** The configured `wait.timeout`, as the message names it. */
  timeout: string;
  /** How a rollout that did not complete is reported. */
  failure: new (message: string) => Error;
}

/** Await each workload's rollout in turn, all within one deadline; the first that does not complete fails with its reasons. */
export async function awaitRollouts(kubectl: Kubectl, refs: ObjectRef[], opts: AwaitOptions): Promise<string[]> {
  const done: string[] = [];
  for (const ref of refs.filter((r) => WORKLOAD_KINDS.has(r.kind))) {
    const result = await kubectl.rolloutStatus(ref, Math.max(1_000, opts.deadlineMs - Date.now()));
    if (result.code === 0) {
      done.push(describeRef(ref));
      continue;
    }
    throw new opts.failure(`${describeRef(ref)} did not roll out: ${await explain(kubectl, ref, result.stderrTail, opts.timeout)}`);
  }
  return done;
}

async function explain(kubectl: Kubectl, ref: ObjectRef, stderr: string[], timeout: string): Promise<string> {
  const last = stderr.map((l) => l.replace(/^error: /, '').trim()).filter(Boolean).pop() ?? 'it did not complete';
  const said = /timed out waiting/.test(last) ? `not complete within ${timeout}` : last;
  const reasons = await stuckReasons(kubectl, ref);
  if (reasons === undefined) return `${said}; the ${ref.kind} is gone`;
  return reasons.length ? `${said}: ${reasons.join('; ')}` : said;
}

/**
 * Why a workload's rollout is not done, from its conditions and its pods (unschedulable, image pull
 * back-off, …); undefined when the workload is gone. Also what the helm executor says when `--wait` ran out.
 */
export async function stuckReasons(kubectl: Kubectl, ref: ObjectRef): Promise<string[] | undefined> {
  const workload = await kubectl.get(ref);
  if (!workload) return undefined;
  const selector = selectorString((workload.spec as { selector?: LabelSelector } | undefined)?.selector);
  const pods = selector ? await kubectl.pods(workload.metadata.namespace ?? ref.namespace, selector) : [];
  return [...workloadProblems(workload), ...podProblems(pods)];
}
