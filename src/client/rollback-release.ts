/**
 * `tugboat rollback <id>` on a deployment that already ended: starts rollbackReleaseWorkflow under
 * the environment's lock, after checking — in the state store, where the deployment records are —
 * that the release can be undone: it ended SUCCEEDED or PARTIAL, its rollback manifest keeps each
 * service's previous state and spec, and no newer deployment of the environment came after it
 * (rolling back an older release would also throw away the newer one; `--force` says that is meant).
 */
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { planRollbackRelease, ROLLBACKABLE_PHASES, RollbackRefusal, type RollbackReleasePlan } from '../activities/rollback-release';
import { TUGBOAT_DEPLOYMENT, TUGBOAT_ENVIRONMENT, TUGBOAT_PHASE } from '../api/search-attributes';
import type { DeploymentRecord, StateStore } from '../state';
import { newestFirst } from '../state/records';
import { withLocalStateStore } from './local-store';
import { DEFAULT_TASK_QUEUE } from '../worker/config';
import { rollbackReleaseWorkflow } from '../workflows/rollback-release';
import { environmentWorkflowId, newDeploymentId, parseDeploymentRef } from './deployment-id';
import { DeploymentNotFoundError, EnvironmentLockedError } from './errors';
import { hasWorkers, RequestRefusedError, startWorkerHint } from './operations';

/** A newer deployment of the environment exists: rolling this one back would undo it too. */
export class NewerDeploymentError extends RequestRefusedError {
  constructor(
    readonly target: string,
    /** The newer deployments' IDs, newest first. */
    readonly newer: string[],
    detail: string,
  ) {
    super(detail);
    this.name = 'NewerDeploymentError';
  }
}

export interface RollbackReleaseOptions {
  force?: boolean;
  by?: string;
  reason?: string;
  /** Where the deployment records are (default: TUGBOAT_HOME/state, as the worker's). */
  store?: StateStore;
  /** Default: TUGBOAT_TASK_QUEUE, else the target's own workflow's task queue, else "tugboat". */
  taskQueue?: string;
}

export interface StartedRollbackRelease {
  workflowId: string;
  /** The rollback's own ID: `tugboat status <it>`, its record in `tugboat history`. */
  rollbackDeploymentId: string;
  /** What to tell the operator. */
  message: string;
  handle: WorkflowHandle<typeof rollbackReleaseWorkflow>;
}

/**
 * Rolls back the release `ref` names: a deployment ID (dep-…), or <name>/<environment> (its last
 * deployment). Refused with a RequestRefusedError saying why (NewerDeploymentError when a newer
 * deployment exists and `force` is not set), EnvironmentLockedError while a deployment of the
 * environment runs, DeploymentNotFoundError when the store has no record of it.
 */
export async function rollbackFinishedDeployment(
  client: Client,
  ref: string,
  opts: RollbackReleaseOptions = {},
): Promise<StartedRollbackRelease> {
  // Without a store: the one the workers write, closed once the rollback has started.
  if (!opts.store) return withLocalStateStore((store) => rollbackFinishedDeployment(client, ref, { ...opts, store }));
  const store = opts.store;
  const target = await targetRecord(store, ref);
  const id = target.deploymentId;
  const [manifest, intents, records] = await Promise.all([
    store.getRollbackManifest(id),
    store.listIntents(id),
    store.listDeploymentRecords(target),
  ]);
  let release: RollbackReleasePlan;
  try {
    release = planRollbackRelease(id, { record: target, manifest, intents }, store.location);
  } catch (err) {
    if (err instanceof RollbackRefusal) throw new RequestRefusedError(err.message);
    throw err;
  }
  const newer = newerThan(records, target);
  if (newer.length > 0 && !opts.force) throw newerDeploymentError(target, newer);
  const taskQueue = opts.taskQueue ?? (process.env.TUGBOAT_TASK_QUEUE?.trim() || (await taskQueueOf(client, id)) || DEFAULT_TASK_QUEUE);
  const started = await startRollbackRelease(client, {
    name: target.name,
    environment: target.environment,
    targetDeploymentId: id,
    taskQueue,
    by: opts.by,
    reason: opts.reason,
  });
  const services = release.manifest.deployment.services.map((s) => `${s.name} → ${describePrevious(release, s.name)}`);
  const lines = [
    `rolling back ${id} (${target.name} → ${target.environment}, ended ${target.phase} ${target.endedAt}) as ${started.rollbackDeploymentId}:`,
    `  ${services.join('\n  ')}`,
  ];
  if (newer.length > 0) lines.push(`--force: ${newer.map((r) => r.deploymentId).join(', ')} came after it; what they changed in these services is replaced`);
  if (!(await hasWorkers(client, taskQueue).catch(() => true))) {
    lines.push(`no worker polls task queue "${taskQueue}" yet: the rollback starts when one does. ${startWorkerHint(taskQueue)}`);
  }
  return { ...started, message: lines.join('\n') };
}

/**
 * Starts the rollback workflow, checks aside (scripts and tests that know what they roll back).
 * The workflow ID is the environment's lock: refused while a deployment of it runs.
 */
export async function startRollbackRelease(
  client: Client,
  args: {
    name: string;
    environment: string;
    targetDeploymentId: string;
    taskQueue: string;
    by?: string;
    reason?: string;
    baseDir?: string;
    rollbackDeploymentId?: string;
  },
): Promise<Omit<StartedRollbackRelease, 'message'>> {
  const workflowId = environmentWorkflowId(args.name, args.environment);
  const rollbackDeploymentId = args.rollbackDeploymentId ?? newDeploymentId();
  try {
    const handle = await client.workflow.start(rollbackReleaseWorkflow, {
      workflowId,
      taskQueue: args.taskQueue,
      args: [
        {
          targetDeploymentId: args.targetDeploymentId,
          rollbackDeploymentId,
          ...(args.by ? { by: args.by } : {}),
          ...(args.reason ? { reason: args.reason } : {}),
          ...(args.baseDir ? { baseDir: args.baseDir } : {}),
        },
      ],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      typedSearchAttributes: [
        { key: TUGBOAT_DEPLOYMENT, value: rollbackDeploymentId },
        { key: TUGBOAT_ENVIRONMENT, value: args.environment },
        { key: TUGBOAT_PHASE, value: 'VALIDATING' },
      ],
      staticSummary: `Roll back ${args.targetDeploymentId} of ${args.name} in ${args.environment}`,
      staticDetails: `Rollback ${rollbackDeploymentId}: every service ${args.targetDeploymentId} changed goes back to how it was before it${args.reason ? ` (${args.reason})` : ''}`,
    });
    return { workflowId, rollbackDeploymentId, handle };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      const running = await client.workflow
        .getHandle(workflowId)
        .describe()
        .then((d) => d.typedSearchAttributes.get(TUGBOAT_DEPLOYMENT))
        .catch(() => undefined);
      throw new EnvironmentLockedError(workflowId, running);
    }
    throw err;
  }
}

function newerDeploymentError(target: DeploymentRecord, newer: DeploymentRecord[]): NewerDeploymentError {
  const id = target.deploymentId;
  const shown = newer.slice(0, 3).map((r) => `${r.deploymentId} (${r.phase}, started ${r.startedAt})`);
  if (newer.length > shown.length) shown.push(`${newer.length - shown.length} more`);
  const latest = newer[0];
  const instead = ROLLBACKABLE_PHASES.includes(latest.phase)
    ? `Roll back ${latest.deploymentId} instead, or pass --force`
    : `See tugboat history ${target.name}/${target.environment}; pass --force`;
  return new NewerDeploymentError(
    id,
    newer.map((r) => r.deploymentId),
    `a newer deployment of ${target.name}/${target.environment} came after ${id}: ${shown.join(', ')}. ` +
      `Rolling ${id} back restores what was there before it, throwing away what came after. ${instead} to roll back ${id} anyway`,
  );
}

/** The deployment record `ref` names: by ID, or the environment's newest. */
async function targetRecord(store: StateStore, ref: string): Promise<DeploymentRecord> {
  const parsed = parseDeploymentRef(ref);
  if (!parsed) throw new DeploymentNotFoundError(ref);
  if ('deploymentId' in parsed) {
    const id = parsed.deploymentId;
    const record = await store.getDeploymentRecord(id);
    if (!record) throw new NoRecordError(id, `no deployment record of ${id} in ${store.location}: it has not ended, or the state store is elsewhere (the CLI reads the store TUGBOAT_STATE names, default TUGBOAT_HOME/state: set it as the workers have it)`);
    return record;
  }
  const [latest] = await store.listDeploymentRecords(parsed);
  const named = `${parsed.name}/${parsed.environment}`;
  if (!latest) throw new NoRecordError(named, `no deployment of ${named} has ended yet (no record in ${store.location})`);
  return latest;
}

class NoRecordError extends DeploymentNotFoundError {
  constructor(ref: string, message: string) {
    super(ref);
    this.message = message;
  }
}

/** Records of the same environment that started after the target (newest first). */
function newerThan(records: DeploymentRecord[], target: DeploymentRecord): DeploymentRecord[] {
  const all = newestFirst([...records.filter((r) => r.deploymentId !== target.deploymentId), target]);
  return all.slice(0, all.findIndex((r) => r.deploymentId === target.deploymentId));
}

function describePrevious(release: RollbackReleasePlan, service: string): string {
  if (release.previous[service] === 'absent') return 'removed (it did not exist before)';
  return `restored to ${release.previousVersions[service] ?? 'its previous state'}`;
}

/** The task queue the target deployment ran on, while Temporal still keeps its workflow. */
async function taskQueueOf(client: Client, deploymentId: string): Promise<string | undefined> {
  try {
    for await (const wf of client.workflow.list({ query: `${TUGBOAT_DEPLOYMENT.name} = '${deploymentId}'` })) return wf.taskQueue;
  } catch {
    // Visibility unavailable: the default applies.
  }
  return undefined;
}
