/**
 * Start a deployment and (unless detached) follow it to the end: shared by `deploy` and `up`;
 * following (the live view on a terminal, plain lines otherwise) is shared with `watch`.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { EnvironmentLockedError } from '../client/errors';
import { SearchAttributesMissingError } from '../client/search-attributes-errors';
import { startDeployment } from '../client/deployments';
import { PreflightFailedError } from '../client/preflight';
import { NoWorkerError } from '../client/operations';
import type { DeploymentStatus } from '../client/status';
import { loadLearnedDurations } from '../client/learned-durations';
import { CliError, ExitCode, exitCodeForStatus } from './exit-codes';
import type { LoadedManifest } from './manifest-input';
import { renderStatus } from './render-status';
import { watchDeployment, type WatchEnd } from './watch';
import { createLiveView, liveViewWanted, planInputs } from './live-view';
import { haltedStep } from './live-view/render';
import { webUiLink } from './web-ui';
import { operatorIdentity } from './identity';
import { noPollerWarnings, printQueueWarnings } from '../client/queue-warnings';

export interface DeployFlowOptions {
  client: Client;
  loaded: LoadedManifest;
  taskQueue: string;
  detach?: boolean;
  json?: boolean;
  uiBase?: string;
  print: (line: string) => void;
  stop?: Promise<void>;
  /** When the environment is locked by a running deployment, follow it instead of refusing. */
  followIfLocked?: boolean;
  /** false: start without the worker-side preflight (`--no-preflight`). */
  preflight?: boolean;
  /** Draw the live view when stdout is a terminal that can redraw it (false: `--plain`). */
  live?: boolean;
  /** Per service, durations (ms) learned from past deployments of the environment: the live view's ETA prefers them. */
  learnedDurations?: Record<string, number>;
  /** Task queues known to be polled (`up`'s embedded worker): the no-poller warning does not ask about them. */
  polledQueues?: readonly string[];
}

export async function deployAndWatch(opts: DeployFlowOptions): Promise<{ exitCode: ExitCode; status?: DeploymentStatus }> {
  const { client, loaded, print } = opts;
  let started;
  try {
    started = await startDeployment(client, loaded.manifest, {
      taskQueue: opts.taskQueue,
      source: loaded.source,
      requestedBy: operatorIdentity(),
      plan: loaded.plan,
      preflight: opts.preflight,
    });
  } catch (err) {
    // Not started, nothing changed: refused like a locked environment, with the commands that fix it.
    if (err instanceof SearchAttributesMissingError || err instanceof PreflightFailedError || err instanceof NoWorkerError) {
      throw new CliError(err.message, ExitCode.refused);
    }
    if (!(err instanceof EnvironmentLockedError)) throw err;
    if (!opts.followIfLocked) throw new CliError(err.message, ExitCode.refused);
    // `up` after a Ctrl-C: the earlier deployment resumed on this worker; follow it to its end.
    print(`${err.message}\nfollowing that deployment instead (it resumed on this worker)`);
    const { runId } = await client.workflow.getHandle(err.workflowId).describe();
    // Pinned to that run: the next deployment to the environment reuses the workflow id.
    const handle = client.workflow.getHandle(err.workflowId, runId);
    started = { deploymentId: err.runningDeploymentId ?? err.workflowId, workflowId: err.workflowId, runId, handle };
  }
  await warnOfUnpolledQueues(opts);
  const link = webUiLink(opts.uiBase, client.options.namespace, started.workflowId, started.runId);
  if (opts.json && opts.detach) {
    print(JSON.stringify({ id: started.deploymentId, workflow_id: started.workflowId, run_id: started.runId }));
    return { exitCode: ExitCode.ok };
  }
  if (!opts.json) {
    print(`deployment ${started.deploymentId} started (workflow ${started.workflowId}, task queue ${opts.taskQueue})`);
    if (link) print(`Web UI: ${link}`);
  }
  if (opts.detach) {
    print(`detached; follow it with: tugboat watch ${started.deploymentId}`);
    return { exitCode: ExitCode.ok };
  }
  if (opts.json) {
    const { status, end } = await watchDeployment(client, started.handle, { stop: opts.stop });
    print(JSON.stringify(status));
    return { exitCode: end === 'detached' ? ExitCode.ok : exitCodeForStatus(status), status };
  }
  const { status, end } = await followDeployment(client, started.handle, {
    deploymentId: started.deploymentId,
    print,
    stop: opts.stop,
    live: opts.live,
    loaded,
    learnedDurations: opts.learnedDurations,
  });
  if (end === 'detached') return { exitCode: ExitCode.ok, status };
  return { exitCode: exitCodeForStatus(status), status };
}

/**
 * A service whose specialty queue no worker polls would wait without a word: say so on stderr (stdout
 * may be JSON), naming the command that starts one. A courtesy: a server that cannot say is ignored.
 */
async function warnOfUnpolledQueues(opts: DeployFlowOptions): Promise<void> {
  const warnings = await noPollerWarnings(opts.client, {
    mainQueue: opts.taskQueue,
    manifest: opts.loaded.manifest,
    polled: opts.polledQueues,
  }).catch(() => []);
  printQueueWarnings(warnings);
}

export interface FollowOptions {
  /** For the message after a detach: how to follow it again. */
  deploymentId: string;
  print: (line: string) => void;
  /** Resolves to stop following (Ctrl-C): the deployment goes on. */
  stop?: Promise<void>;
  /** Draw the live view when stdout is a terminal that can redraw it (not TERM=dumb, not CI); false: plain lines. */
  live?: boolean;
  /** The deployment's manifest and plan: the live view's dependencies and declared durations, and the summary line. */
  loaded?: Pick<LoadedManifest, 'manifest' | 'plan'>;
  /** Per service, durations (ms) learned from past deployments of the environment. */
  learnedDurations?: Record<string, number>;
}

/**
 * Follow a deployment to its end (or until it needs a person, or Ctrl-C), then report: the live
 * view leaves its last frame and adds what the frame has no room for (the error, the rollback,
 * what to do next); plain lines end with the full status, as `tugboat status` prints it.
 */
export async function followDeployment(
  client: Client,
  handle: WorkflowHandle,
  opts: FollowOptions,
): Promise<{ status: DeploymentStatus; end: WatchEnd }> {
  const { print } = opts;
  const wanted = opts.live === true && liveViewWanted(process.stdout);
  const live = wanted
    ? createLiveView({
        stream: process.stdout,
        ...(opts.loaded ? planInputs(opts.loaded.manifest, opts.loaded.plan) : {}),
        learnedMs: opts.learnedDurations ?? (opts.loaded ? await learnedFromHistory(opts.loaded.manifest) : undefined),
        stop: opts.stop,
      })
    : undefined;
  const { status, end } = await watchDeployment(client, handle, { print, view: live, stop: opts.stop });
  if (end === 'detached') {
    print(`\nstopped watching; the deployment goes on. Follow it with: tugboat watch ${opts.deploymentId}`);
    return { status, end };
  }
  print('');
  // The frame above named every service: the report under it starts at the rollback's story.
  print(renderStatus(live ? { ...status, waves: [] } : status));
  if (status.phase === 'HALTED') print(haltedStep(status));
  if (end === 'closed' && opts.loaded) print(`\n${summaryLine(status, opts.loaded)}`);
  return { status, end };
}

/** Success: wall time against the serial sum. Otherwise the timeline: when it failed, when it was undone. */
export function summaryLine(status: DeploymentStatus, loaded: Pick<LoadedManifest, 'manifest' | 'plan'>): string {
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  // The workflow's own clock: right even when this CLI only followed part of the run.
  const wallMs = status.ended_at ? Date.parse(status.ended_at) - Date.parse(status.started_at) : 0;
  // Without simulate durations the plan weighs each service 1 (see renderPlan): nothing to compare with.
  const timed = loaded.manifest.deployment.services.some((service) => service.simulate !== undefined);
  if (status.phase === 'SUCCEEDED' && !timed) {
    // Real executors: no declared durations to compare with, so what the services actually took.
    const ranMs = Object.values(status.services).reduce(
      (sum, s) => sum + (s.started_at && s.ended_at ? Date.parse(s.ended_at) - Date.parse(s.started_at) : 0),
      0,
    );
    return `SUCCEEDED in ${secs(wallMs)} wall time; the services ran ${secs(ranMs)} in all`;
  }
  if (status.phase === 'SUCCEEDED') {
    return (
      `SUCCEEDED in ${secs(wallMs)} wall time; serial sum of service durations ${secs(loaded.plan.serialSumMs)}, ` +
      `critical path ${secs(loaded.plan.criticalPathMs)}`
    );
  }
  const start = Date.parse(status.started_at);
  const failed = Object.entries(status.services).find(([, s]) => s.state === 'FAILED' || (s.error && s.state !== 'SKIPPED'));
  const failedAt = failed?.[1].ended_at ? `${failed[0]} failed at +${secs(Date.parse(failed[1].ended_at) - start)}; ` : '';
  const endedAt = status.ended_at ? `${status.phase} at +${secs(Date.parse(status.ended_at) - start)}` : status.phase;
  const orphans = status.orphans.length === 0 ? 'no orphans' : `${status.orphans.length} ORPHANS`;
  return `${failedAt}${endedAt}; ${orphans}`;
}

/**
 * Durations learned from this environment's past deployments (the local state store), for the live
 * view's ETA; none when there is no history or the store cannot be read (the ETA then uses the
 * declared durations).
 */
async function learnedFromHistory(manifest: LoadedManifest['manifest']): Promise<Record<string, number> | undefined> {
  const { name, environment } = manifest.deployment;
  const learned = await loadLearnedDurations(name, environment).catch(() => ({}));
  return Object.keys(learned).length > 0 ? learned : undefined;
}
