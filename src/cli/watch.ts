/**
 * Follows a deployment until its workflow closes — or until it waits for a person (a blocked
 * rollback, a manual-strategy decision, a halt) — feeding each poll's status to a view: the plain
 * printer (each service's transitions as lines) or the live view (./live-view, a frame redrawn in
 * place). The CLI is only a viewer, so stopping it never affects the deployment.
 *
 * Watching is cheap, and never slows the deployment: each poll is one progress query, never more
 * than one in flight, and the next one waits max(interval, QUERY_COST_FACTOR × how long the last
 * took) — a big deployment's query (its payload grows with the services) is asked less often. The
 * end is seen at once, from one long poll on the workflow's close event; the parent is described
 * only when a query fails or the phase looks final, and otherwise every PARENT_CHECK_MS. Children
 * are described only when they may be retrying, and rarely (ChildAttempts, ../client/describe-scheduler.ts).
 *
 * A closed deployment's final status comes from its result (the close event) and the record it
 * stored, not from a query: once closed, a query makes a worker replay the whole history
 * (statusFromResult, ../client/status.ts). A deployment cancelled through Temporal closes without
 * a result: its record says how it ended. One terminated or timed out never ended by itself: the
 * watch fails, saying so. Only a short history is still queried once at the end, for the details
 * the result does not carry. Everything the watch starts (a query, the long poll, timers) ends
 * with it, so the CLI exits once it has printed.
 */
import type { Client, WorkflowExecutionStatusName, WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import type { DeploymentPhase, DeploymentResult } from '../api/progress';
import {
  asDeploymentResult,
  ChildAttempts,
  deploymentStatus,
  recordedDeployment,
  statusFromResult,
  type DeploymentStatus,
  type ServiceStatus,
} from '../client/status';
import { CliError, ExitCode } from './exit-codes';
import { startedPlan } from './live-view/started-plan';

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

/** One status read: what the query said (undefined: it failed or timed out) and how long it alone took. */
interface Read {
  status?: DeploymentStatus;
  queryMs?: number;
}

async function poll(client: Client, given: WorkflowHandle, opts: WatchOptions, view: WatchView): Promise<{ status: DeploymentStatus; end: WatchEnd }> {
  const attempts = opts.attempts ?? new ChildAttempts();
  const intervalMs = opts.intervalMs ?? 400;
  const first = await given.describe();
  // Pinned to the run seen now: should the next deployment to this environment start (same
  // workflow id) while this one ends, no describe, query or result reads the new run instead.
  const handle = client.workflow.getHandle(given.workflowId, first.runId);
  // Closed already (watched after the end): no query at all, whose replay could take longer than the deployment's last minutes.
  if (!isOpen(first.status.name)) {
    const status = await finalStatus(client, handle, { attempts });
    view.update(status);
    return { status, end: 'closed' };
  }
  // Everything this watch started (the long poll, a query in flight, a timer) ends with it: the
  // CLI exits as soon as it has printed.
  const done = new AbortController();
  // One wake-up for the end and Ctrl-C, each subscribed once: every wait below listens to it only while it waits.
  const wake = new AbortController();
  let stopped = false;
  let closed = false;
  opts.stop?.then(() => {
    stopped = true;
    wake.abort();
  });
  // The end, the moment it happens: one long poll on the close event (no worker needed), dropped when the watch ends.
  const execution = { workflowId: handle.workflowId, runId: first.runId };
  void waitForClose(client, execution, done.signal).then((hasClosed) => {
    if (!hasClosed) return;
    closed = true;
    wake.abort();
  });
  let lastStatus: DeploymentStatus | undefined;
  let parentCheckedAt = Date.now();
  // The one status read in flight: a slow query is waited for, never asked again beside itself.
  let inFlight: Promise<Read> | undefined;
  const read = (): Promise<Read> => {
    const reading: Promise<Read> = readStatus(client, handle, attempts, QUERY_DEADLINE_MS, done.signal).then((r) => {
      if (inFlight === reading) inFlight = undefined;
      return r;
    });
    return (inFlight = reading);
  };
  const detach = () => {
    if (lastStatus) return { status: lastStatus, end: 'detached' as const };
    throw new Error('interrupted before the deployment reported any progress; follow it with tugboat status');
  };
  try {
    for (;;) {
      const got = await untilAborted(inFlight ?? read(), wake.signal);
      // Detaching must not wait on anything: the last status seen is enough to say where it was.
      if (stopped) return detach();
      if (closed || got === undefined) break;
      const status = got.status;
      if (status) lastStatus = status;
      if (!status || FINAL_PHASES.has(status.phase) || Date.now() - parentCheckedAt >= PARENT_CHECK_MS) {
        // Also the way to see the end should the long poll have failed (a connection drop).
        parentCheckedAt = Date.now();
        if (!isOpen((await handle.describe()).status.name)) break;
      }
      if (status) {
        view.update(status);
        if (needsOperator(status)) return { status, end: 'needs-operator' };
      }
      if (stopped) return detach();
      await delay(pollDelay(intervalMs, got.queryMs), wake.signal);
      if (stopped) return detach();
      if (closed) break;
    }
    // Continued as new (the long poll followed it): the run that closed.
    const closedRun = execution.runId === first.runId ? handle : client.workflow.getHandle(handle.workflowId, execution.runId);
    const status = await finalStatus(client, closedRun, { lastStatus, inFlight, attempts });
    view.update(status);
    return { status, end: 'closed' };
  } finally {
    done.abort();
  }
}

/**
 * How long to wait after a status read before the next: the interval, or QUERY_COST_FACTOR times
 * what the last query took when that is longer — the query runs on the worker (in the workflow's
 * own thread: while it answers, the deployment does not move), and its time grows with its payload.
 */
export function pollDelay(intervalMs: number, lastQueryMs: number | undefined): number {
  return Math.min(MAX_POLL_DELAY_MS, Math.max(intervalMs, QUERY_COST_FACTOR * (lastQueryMs ?? 0)));
}

/** The worker spends at most 1 / (1 + this) of the time answering one watcher. */
const QUERY_COST_FACTOR = 3;
/** However slow the query, the view moves at least this often (the end is seen at once regardless). */
const MAX_POLL_DELAY_MS = 15_000;

/**
 * Resolves true once the workflow has closed (followed across continue-as-new), false when it
 * cannot tell (the connection failed, or the watch ended first). Each long poll has a signal of its
 * own, linked to `signal` only while it runs: the server answers an idle one after about 20 s, and
 * a signal shared by every call would collect a listener per call.
 */
async function waitForClose(client: Client, execution: { workflowId: string; runId: string }, signal: AbortSignal): Promise<boolean> {
  let nextPageToken: Uint8Array | null | undefined;
  while (!signal.aborted) {
    const call = new AbortController();
    const abort = () => call.abort();
    signal.addEventListener('abort', abort, { once: true });
    try {
      const res = await client.withAbortSignal(call.signal, () =>
        client.workflowService.getWorkflowExecutionHistory({
          namespace: client.options.namespace,
          execution,
          waitNewEvent: true,
          skipArchival: true,
          historyEventFilterType: HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
          nextPageToken,
        }),
      );
      const closeEvent = res.history?.events?.[0];
      if (!closeEvent) {
        nextPageToken = res.nextPageToken;
        continue;
      }
      const next =
        closeEvent.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ||
        closeEvent.workflowExecutionCompletedEventAttributes?.newExecutionRunId ||
        closeEvent.workflowExecutionFailedEventAttributes?.newExecutionRunId ||
        closeEvent.workflowExecutionTimedOutEventAttributes?.newExecutionRunId;
      if (!next) return true;
      // Continued as new: the deployment goes on in the next run.
      execution.runId = next;
      nextPageToken = undefined;
    } catch {
      return false;
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }
  return false;
}

/** temporal.api.enums.v1.HistoryEventFilterType (@temporalio/proto is not a dependency of ours). */
const HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT = 2;

/** The closed workflow's result: returned, or the first detail of its failure; undefined when its close event carries none. */
async function closeResult(handle: WorkflowHandle): Promise<DeploymentResult | undefined> {
  try {
    return asDeploymentResult(await handle.result());
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) return undefined;
    // A failed deployment carries its result as its failure's first detail. A cancelled one does
    // not: the SDK closes it with a cancel command, which has no details (the record says it).
    const details = (err.cause as { details?: unknown[] } | undefined)?.details;
    return asDeploymentResult(details?.[0]);
  }
}

/** Closes in which the workflow returned or threw its DeploymentResult, or at least stored its record first. */
const ENDED_BY_ITSELF: ReadonlySet<WorkflowExecutionStatusName> = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/** Not closed: running, or paused through Temporal (it goes on once unpaused). */
const isOpen = (status: WorkflowExecutionStatusName) => status === 'RUNNING' || status === 'PAUSED';

/**
 * The closed deployment's status. A short history is queried once more (a worker replays it
 * quickly, and the query alone has each service's recorded steps and times to the end); otherwise,
 * or when that fails (no worker left), the result, the record and the last status seen say it.
 * Terminated or timed out, it never ended by itself: no status would be true, so it fails, saying
 * how it ended and the last phase seen. `handle` is pinned to the run that closed.
 */
async function finalStatus(
  client: Client,
  handle: WorkflowHandle,
  s: { lastStatus?: DeploymentStatus; inFlight?: Promise<Read>; attempts: ChildAttempts },
): Promise<DeploymentStatus> {
  const description = await handle.describe();
  if (!ENDED_BY_ITSELF.has(description.status.name)) throw new CliError(await endedWithoutOutcome(handle, description.status.name, s.lastStatus), ExitCode.failed);
  // Never a second query beside one still in flight: wait a moment for it (a worker answers in
  // milliseconds); one still unanswered says no worker will answer soon, so go without.
  const settled = s.inFlight ? await withinMs(s.inFlight, IN_FLIGHT_GRACE_MS) : {};
  if (settled !== undefined && description.historyLength <= FINAL_QUERY_MAX_EVENTS) {
    const queried = (await readStatus(client, handle, s.attempts, FINAL_QUERY_DEADLINE_MS)).status;
    if (queried) return queried;
  }
  const [result, recorded] = await Promise.all([closeResult(handle), recordedDeployment(client, handle.workflowId, description.runId)]);
  if (!result && !recorded?.record) {
    throw new CliError(await endedWithoutOutcome(handle, description.status.name, s.lastStatus, 'neither a result nor a deployment record'), ExitCode.failed);
  }
  const started = s.lastStatus ? undefined : await startedPlan(client, handle);
  return statusFromResult({
    workflowId: handle.workflowId,
    result,
    lastSeen: s.lastStatus,
    recorded,
    started,
    startedAt: description.startTime.toISOString(),
    closedAt: description.closeTime?.toISOString(),
  });
}

/**
 * Up to this many events a closed workflow is still queried at the end (a replay of well under a
 * second); a 2,000-service deployment has about 20,000.
 */
const FINAL_QUERY_MAX_EVENTS = 2_000;
const FINAL_QUERY_DEADLINE_MS = 5_000;
const IN_FLIGHT_GRACE_MS = 1_000;

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

/** Why there is no status to report: how the workflow ended (with the reason Temporal gives) and the last phase seen. */
export async function endedWithoutOutcome(handle: WorkflowHandle, how: string, lastSeen: DeploymentStatus | undefined, missing?: string): Promise<string> {
  const why = await handle.result().then(
    () => '',
    (err: unknown) => {
      const message = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
      return message ? ` (${message})` : '';
    },
  );
  const last = lastSeen ? `the last phase seen was ${lastSeen.phase}` : 'it reported no progress before';
  return `deployment workflow ${handle.workflowId} ended ${how}${why}${missing ? ` with ${missing}` : ''}: ${last}; see tugboat status`;
}

/**
 * A query needs a worker; with none (or a busy one) give up on this read after this long. The loop
 * never waits on it (the end and Ctrl-C are raced against it), and no other query is asked meanwhile.
 */
const QUERY_DEADLINE_MS = 20_000;

/** Phases after which the workflow closes (FAILED holds it open only while awaiting a decision). */
const FINAL_PHASES: ReadonlySet<DeploymentPhase> = new Set(['SUCCEEDED', 'PARTIAL', 'FAILED', 'ROLLED_BACK', 'CANCELLED']);

/** Even mid-deployment, check now and then that the workflow was not terminated or timed out. */
const PARENT_CHECK_MS = 10_000;

async function readStatus(client: Client, handle: WorkflowHandle, attempts: ChildAttempts, deadlineMs: number, signal?: AbortSignal): Promise<Read> {
  let queryMs: number | undefined;
  const ask = () => deploymentStatus(client, handle, { attempts, queried: (ms) => (queryMs = ms) });
  try {
    const status = await client.withDeadline(Date.now() + deadlineMs, () => (signal ? client.withAbortSignal(signal, ask) : ask()));
    return { status, queryMs };
  } catch {
    // Before the first workflow task runs there is no query handler yet.
    return {};
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
/** Waits `ms`, or less when `signal` aborts; its timer never outlives it. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * `promise`'s value, or undefined as soon as `signal` aborts: the listener is removed once either
 * happens, so waiting again and again on one long-lived signal retains nothing.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const aborted = () => resolve(undefined);
    signal.addEventListener('abort', aborted, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', aborted);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', aborted);
        reject(err);
      },
    );
  });
}

/** `promise`'s value, or undefined after `ms`; the timer is cleared either way. */
async function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), ms);
  try {
    return await untilAborted(promise, timeout.signal);
  } finally {
    clearTimeout(timer);
  }
}
