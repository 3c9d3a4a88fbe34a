/**
 * Follows a deployment until its workflow closes — or until it waits for a person (a blocked
 * rollback, a manual-strategy decision, a halt) — feeding each poll's status to a view: the plain
 * printer (each service's transitions as lines) or the live view (./live-view, a frame redrawn in
 * place). The CLI is only a viewer, so stopping it never affects the deployment.
 *
 * Watching is cheap: each poll is one progress query. The parent is described only when the query
 * fails or the phase looks final (to learn whether the workflow closed), and otherwise every
 * PARENT_CHECK_MS (a terminated workflow still answers queries with its last phase). Children are
 * described only when they may be retrying, and rarely (ChildAttempts, ../client/describe-scheduler.ts).
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { DeploymentPhase } from '../api/progress';
import { ChildAttempts, deploymentStatus, type DeploymentStatus, type ServiceStatus } from '../client/status';

export interface WatchOptions {
  /** The plain printer's output: each transition as a line (used unless a `view` is given). */
  print?: (line: string) => void;
  /** What the polls feed instead of the plain printer: the live view (./live-view). */
  view?: WatchView;
  intervalMs?: number;
  /** Resolves to stop watching early (Ctrl-C). */
  stop?: Promise<void>;
  /** Which children to describe, and how often (default: ChildAttempts' watch policy). */
  attempts?: ChildAttempts;
}

export type WatchEnd = 'closed' | 'needs-operator' | 'detached';

/** What the poll loop feeds: the plain printer (transitions as lines) or the live view (a frame redrawn in place). */
export interface WatchView {
  /** Each status a poll read. */
  update(status: DeploymentStatus): void;
  /** The watch is over: called once, before watchDeployment returns (with how it ended) or throws (without). */
  close(end?: WatchEnd): void;
}

export async function watchDeployment(
  client: Client,
  handle: WorkflowHandle,
  opts: WatchOptions,
): Promise<{ status: DeploymentStatus; end: WatchEnd }> {
  const view = opts.view ?? plainPrinter(opts.print ?? (() => {}));
  let ended: WatchEnd | undefined;
  try {
    const result = await poll(client, handle, opts, view);
    ended = result.end;
    return result;
  } finally {
    view.close(ended);
  }
}

async function poll(client: Client, handle: WorkflowHandle, opts: WatchOptions, view: WatchView): Promise<{ status: DeploymentStatus; end: WatchEnd }> {
  let stopped = false;
  void opts.stop?.then(() => (stopped = true));
  let lastStatus: DeploymentStatus | undefined;
  const attempts = opts.attempts ?? new ChildAttempts();
  let parentCheckedAt = Date.now();
  for (;;) {
    let status = await tryStatus(client, handle, attempts);
    let closed = false;
    if (!status || FINAL_PHASES.has(status.phase) || Date.now() - parentCheckedAt >= PARENT_CHECK_MS) {
      parentCheckedAt = Date.now();
      closed = (await handle.describe()).status.name !== 'RUNNING';
      // The status read before the workflow closed may miss its last words (the record it kept):
      // a closed workflow still answers the query (a worker replays it), so ask once more.
      if (closed) status = (await tryStatus(client, handle, attempts)) ?? status;
    }
    if (status) {
      lastStatus = status;
      view.update(status);
      if (closed) return { status, end: 'closed' };
      if (needsOperator(status)) return { status, end: 'needs-operator' };
    } else if (closed) {
      // Closed without ever answering the progress query (failed before its first task, or
      // terminated): say how it ended instead of polling forever.
      throw new Error(await closedWithoutProgress(handle));
    }
    // Detaching must not wait on anything: the last status seen is enough to say where it was.
    if (stopped && lastStatus) return { status: lastStatus, end: 'detached' };
    if (stopped) throw new Error('interrupted before the deployment reported any progress; follow it with tugboat status');
    // (Racing an absent stop would not wait at all: Promise.race settles at once on undefined.)
    await (opts.stop ? Promise.race([delay(opts.intervalMs ?? 400), opts.stop]) : delay(opts.intervalMs ?? 400));
  }
}

/**
 * The deployment waits for a person: a blocked rollback, a manual-strategy decision, or a halt
 * (on_failure: halt) once the services still running when it halted have finished. A pause or an
 * approval gate is watched on: it ends by itself (a resume, a decision or its deadline).
 */
function needsOperator(status: DeploymentStatus): boolean {
  if (status.awaiting_decision || status.phase === 'ROLLBACK_BLOCKED') return true;
  return status.phase === 'HALTED' && !Object.values(status.services).some((s) => s.state === 'RUNNING' || s.state === 'RETRYING');
}

/** The plain printer: the phase and each service's line whenever they change, stamped with the time since watching began. */
export function plainPrinter(print: (line: string) => void, began: number = Date.now()): WatchView {
  const seen = new Map<string, string>();
  let lastPhase = '';
  return {
    update(status) {
      if (status.phase !== lastPhase) {
        print(`${elapsed(began)}  phase ${status.phase}`);
        lastPhase = status.phase;
      }
      for (const [name, s] of Object.entries(status.services)) {
        const line = describeService(s);
        if (seen.get(name) !== line) {
          seen.set(name, line);
          print(`${elapsed(began)}  ${name.padEnd(22)} ${line}`);
        }
      }
    },
    close() {},
  };
}

async function closedWithoutProgress(handle: WorkflowHandle): Promise<string> {
  const { status } = await handle.describe();
  const why = await handle.result().then(
    () => '',
    (err: unknown) => `: ${(err as { cause?: Error }).cause?.message ?? (err as Error).message}`,
  );
  return `workflow ${handle.workflowId} ended ${status.name} without reporting progress${why}`;
}

/** A query needs a worker; with none (or a busy one) skip this poll rather than hang the CLI. */
const QUERY_DEADLINE_MS = 5_000;

/** Phases after which the workflow closes (FAILED holds it open only while awaiting a decision). */
const FINAL_PHASES: ReadonlySet<DeploymentPhase> = new Set(['SUCCEEDED', 'PARTIAL', 'FAILED', 'ROLLED_BACK', 'CANCELLED']);

/** Even mid-deployment, check now and then that the workflow was not terminated or timed out. */
const PARENT_CHECK_MS = 10_000;

async function tryStatus(client: Client, handle: WorkflowHandle, attempts: ChildAttempts): Promise<DeploymentStatus | undefined> {
  try {
    return await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => deploymentStatus(client, handle, { attempts }));
  } catch {
    // Before the first workflow task runs there is no query handler yet.
    return undefined;
  }
}

/** A multi-line message (a tool's stderr tail) on one status line. */
export function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, ' | ');
}

export function describeService(s: ServiceStatus): string {
  switch (s.state) {
    case 'RETRYING':
      return `RETRYING (attempt ${s.attempt}: ${oneLine(s.last_failure ?? 'failed')})`;
    case 'SUCCEEDED': {
      const outputs = Object.entries(s.outputs)
        .filter(([k]) => k !== 'version')
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      return outputs ? `SUCCEEDED  ${outputs}` : 'SUCCEEDED';
    }
    case 'RUNNING':
      return s.activity ? `RUNNING  ${s.activity}` : 'RUNNING';
    default:
      // A rolled-back service that had failed keeps saying why.
      return `${s.state}  ${oneLine(s.error ?? '')}`.trimEnd();
  }
}

const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(1).padStart(6)}s`;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
