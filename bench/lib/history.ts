/**
 * Reading figures out of workflow histories: sizes (events, encoded bytes), a deployment's runs
 * across continue-as-new, its children's start and end times, and workflow-task
 * schedule-to-start latencies. Histories are fetched whole (the SDK pages through them).
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { tsToMs } from '@temporalio/common/lib/time';
import type { HistoryStats } from './types';

type HistoryEvent = NonNullable<History['events']>[number];

interface EventEncoder {
  encode(event: HistoryEvent): { finish(): Uint8Array };
}

let encoder: EventEncoder | undefined;

/**
 * temporal.api.history.v1.HistoryEvent, from the @temporalio/proto the client itself uses (not a
 * dependency of Tugboat's own, so resolved from the client's location rather than imported).
 */
function historyEventEncoder(): EventEncoder {
  if (!encoder) {
    const clientDir = path.dirname(require.resolve('@temporalio/client/package.json'));
    const proto = require(require.resolve('@temporalio/proto', { paths: [clientDir] }));
    encoder = proto.temporal.api.history.v1.HistoryEvent as EventEncoder;
  }
  return encoder;
}

/** Protobuf-encoded size of one event: what the server stores and counts toward its 50 MB limit. */
export function eventBytes(event: HistoryEvent): number {
  return historyEventEncoder().encode(event).finish().length;
}

export function measureHistory(history: History): HistoryStats {
  const events = history.events ?? [];
  let bytes = 0;
  for (const event of events) bytes += eventBytes(event);
  return { events: events.length, bytes, history };
}

export async function fetchHistory(client: Client, workflowId: string, runId?: string): Promise<History> {
  return client.workflow.getHandle(workflowId, runId).fetchHistory();
}

export function eventMs(event: HistoryEvent): number {
  return tsToMs(event.eventTime);
}

export interface Run {
  runId: string;
  history: History;
  stats: HistoryStats;
}

/**
 * Every run of one workflow execution chain, first run first: a deployment that continued as new
 * has several histories, each with its own size. Follows WorkflowExecutionContinuedAsNew events.
 */
export async function runChain(client: Client, workflowId: string, firstRunId: string): Promise<Run[]> {
  const runs: Run[] = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const history = await fetchHistory(client, workflowId, runId);
    runs.push({ runId, history, stats: measureHistory(history) });
    const last = history.events?.[history.events.length - 1];
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    if (runs.length > 1000) throw new Error(`${workflowId}: more than 1000 runs, giving up following them`);
  }
  return runs;
}

/** First run's start to last run's close, from the histories' own event times. */
export function chainWallMs(runs: Run[]): number {
  const first = runs[0]?.history.events?.[0];
  const lastEvents = runs[runs.length - 1]?.history.events ?? [];
  const last = lastEvents[lastEvents.length - 1];
  if (!first || !last) return NaN;
  return eventMs(last) - eventMs(first);
}

export interface ChildTimes {
  workflowId: string;
  /** StartChildWorkflowExecutionInitiated: the parent decided to start it. */
  initiatedMs?: number;
  /** ChildWorkflowExecutionStarted. */
  startedMs?: number;
  /** ChildWorkflowExecutionCompleted (or failed, cancelled, timed out, terminated). */
  closedMs?: number;
  completed: boolean;
}

/** The parent's view of each child, keyed by child workflow ID (the last attempt when one was started twice). */
export function childTimes(histories: History[]): Map<string, ChildTimes> {
  const byInitiatedId = new Map<string, string>();
  const children = new Map<string, ChildTimes>();
  const get = (workflowId: string) => {
    let c = children.get(workflowId);
    if (!c) children.set(workflowId, (c = { workflowId, completed: false }));
    return c;
  };
  for (const history of histories) {
    for (const event of history.events ?? []) {
      const t = eventMs(event);
      const initiated = event.startChildWorkflowExecutionInitiatedEventAttributes;
      if (initiated?.workflowId) {
        byInitiatedId.set(String(event.eventId), initiated.workflowId);
        get(initiated.workflowId).initiatedMs = t;
        continue;
      }
      const started = event.childWorkflowExecutionStartedEventAttributes;
      if (started?.workflowExecution?.workflowId) {
        get(started.workflowExecution.workflowId).startedMs = t;
        continue;
      }
      const ended =
        event.childWorkflowExecutionCompletedEventAttributes ??
        event.childWorkflowExecutionFailedEventAttributes ??
        event.childWorkflowExecutionCanceledEventAttributes ??
        event.childWorkflowExecutionTimedOutEventAttributes ??
        event.childWorkflowExecutionTerminatedEventAttributes;
      if (ended?.workflowExecution?.workflowId) {
        const c = get(ended.workflowExecution.workflowId);
        c.closedMs = t;
        c.completed = Boolean(event.childWorkflowExecutionCompletedEventAttributes);
      }
    }
  }
  return children;
}

/**
 * Workflow-task schedule-to-start: WorkflowTaskScheduled → the WorkflowTaskStarted naming it
 * (scheduledEventId), in ms. How long a workflow waited for the worker to pick its task up.
 */
export function workflowTaskScheduleToStartMs(history: History): number[] {
  const scheduledAt = new Map<string, number>();
  const latencies: number[] = [];
  for (const event of history.events ?? []) {
    if (event.workflowTaskScheduledEventAttributes) scheduledAt.set(String(event.eventId), eventMs(event));
    const started = event.workflowTaskStartedEventAttributes;
    if (started) {
      const at = scheduledAt.get(String(started.scheduledEventId));
      if (at !== undefined) latencies.push(eventMs(event) - at);
    }
  }
  return latencies;
}

/** Nearest-rank percentile (p in 0..100) of the values; NaN for none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Children by service name: a child's workflow ID is `<deploymentId>.<service>` (service names have no dots). */
export function childrenByService(children: Map<string, ChildTimes>): Map<string, ChildTimes> {
  return new Map([...children.values()].map((c) => [c.workflowId.slice(c.workflowId.lastIndexOf('.') + 1), c]));
}

export interface HistoryBreakdown {
  /** Per workflow task: scheduled → started (waiting for a worker), started → completed (the worker's turn). */
  wftScheduleToStartMs: number[];
  wftStartToCompleteMs: number[];
  /** Per activity attempt that completed or failed: its type, scheduled → started, started → closed. */
  activities: Array<{ type: string; scheduleToStartMs: number; startToCloseMs: number }>;
}

/** Where a history's time went, task by task. */
export function historyBreakdown(history: History): HistoryBreakdown {
  const at = new Map<string, number>();
  const activityType = new Map<string, string>();
  const out: HistoryBreakdown = { wftScheduleToStartMs: [], wftStartToCompleteMs: [], activities: [] };
  for (const event of history.events ?? []) {
    const id = String(event.eventId);
    const t = eventMs(event);
    at.set(id, t);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) activityType.set(id, scheduled.activityType?.name ?? '?');
    const wftStarted = event.workflowTaskStartedEventAttributes;
    if (wftStarted) out.wftScheduleToStartMs.push(t - (at.get(String(wftStarted.scheduledEventId)) ?? NaN));
    const wftCompleted = event.workflowTaskCompletedEventAttributes;
    if (wftCompleted) out.wftStartToCompleteMs.push(t - (at.get(String(wftCompleted.startedEventId)) ?? NaN));
    const closed = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes;
    if (closed) {
      const scheduledAt = at.get(String(closed.scheduledEventId)) ?? NaN;
      const startedAt = at.get(String(closed.startedEventId)) ?? NaN;
      out.activities.push({
        type: activityType.get(String(closed.scheduledEventId)) ?? '?',
        scheduleToStartMs: startedAt - scheduledAt,
        startToCloseMs: t - startedAt,
      });
    }
  }
  return out;
}

/** p50s of a set of breakdowns, by activity type. */
export function summarizeBreakdowns(breakdowns: HistoryBreakdown[]) {
  const types = new Set(breakdowns.flatMap((b) => b.activities.map((a) => a.type)));
  const all = <T>(f: (b: HistoryBreakdown) => T[]) => breakdowns.flatMap(f);
  return {
    histories: breakdowns.length,
    workflowTasks: all((b) => b.wftScheduleToStartMs).length,
    wftScheduleToStartP50Ms: percentile(all((b) => b.wftScheduleToStartMs), 50),
    wftStartToCompleteP50Ms: percentile(all((b) => b.wftStartToCompleteMs), 50),
    workflowTasksPerHistory: all((b) => b.wftScheduleToStartMs).length / Math.max(1, breakdowns.length),
    activities: Object.fromEntries(
      [...types].map((type) => {
        const runs = all((b) => b.activities.filter((a) => a.type === type));
        return [
          type,
          {
            attempts: runs.length,
            scheduleToStartP50Ms: percentile(runs.map((a) => a.scheduleToStartMs), 50),
            startToCloseP50Ms: percentile(runs.map((a) => a.startToCloseMs), 50),
          },
        ];
      }),
    ),
  };
}
