/**
 * A deployment's status as `tugboat status` shows it: the workflow's own progress (query) plus,
 * for running services, the current attempt and last failure read by describing the child —
 * server-side activity retries are invisible to workflow code, so RETRYING only shows from here.
 * A one-shot status describes every running child; a watcher passes a ChildAttempts, which
 * describes only the children that may be retrying, and rarely (./describe-scheduler.ts). Where no
 * describe answers, attempts come from the steps the workflow recorded as they ended.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type {
  BlockedCompensation,
  DeploymentPhase,
  DeploymentProgress,
  DeploymentResult,
  ResourceRef,
  ServiceError,
  ServiceProgress,
  ServiceState,
} from '../api/progress';
import { decodedForReading } from '../codec';
import type { Manifest } from '../manifest/schema';
import type { Plan } from '../plan';
import type { DeploymentRecord } from '../state';
import { DescribeScheduler, WATCH_DESCRIBE_POLICY, type DescribePolicy } from './describe-scheduler';
import { queryProgress } from './deployments';
import type { ProviderBreaker } from './provider-breakers';

export type ReportedServiceState = ServiceState | 'RETRYING';

export interface ServiceStatus {
  state: ReportedServiceState;
  type: string;
  wave: number;
  attempt: number | null;
  last_failure: string | null;
  /** While a step runs: its latest output line (a tool's progress), from the step's heartbeat. */
  activity: string | null;
  /** While a step runs: the provider it calls (its circuit breaker and retry budget), from the step's heartbeat. */
  provider?: string | null;
  started_at: string | null;
  ended_at: string | null;
  error: string | null;
  outputs: Record<string, string>;
  resources: ResourceRef[];
  /** Per step that ended (apply, verify, compensate): attempts spent and why the last failed one failed. */
  steps: Partial<Record<StepName, { attempts: number; last_failure: string | null }>>;
}

type StepName = keyof NonNullable<ServiceProgress['steps']>;

export interface DeploymentStatus {
  id: string;
  name: string;
  environment: string;
  phase: DeploymentPhase;
  workflow_id: string;
  started_at: string;
  ended_at: string | null;
  error: string | null;
  waves: string[][];
  services: Record<string, ServiceStatus>;
  /** Where each service's previous state is stored (what a rollback restores). */
  rollback_manifest: string | null;
  /** Where the deployment record (kept after Temporal's retention) is stored, once it ended. */
  record: string | null;
  rollback: { state: string; trigger: string; reason: string; order: string[]; blocked: BlockedCompensation[] } | null;
  orphans: DeploymentProgress['orphans'];
  /** The live inventory could not be checked: orphans are unknown. */
  orphan_check_error: string | null;
  /** Services whose live resources cannot be listed: neither orphaned nor known to be clean. */
  unverifiable: Array<{ service: string; reason: string }>;
  retained: DeploymentProgress['retained'];
  requests: DeploymentProgress['requests'];
  /** rollback_strategy manual, after a failure: waiting for `tugboat rollback` or `tugboat accept`. */
  awaiting_decision: boolean;
  /** Who paused it and why, while paused. */
  paused: DeploymentProgress['paused'] | null;
  /** Per gated service, its approval requests (deadline, outcome, approver). */
  approvals: DeploymentProgress['approvals'] | null;
  bake: DeploymentProgress['bake'] | null;
  /** strategy.on_failure in force (absent from runs before failure policies). */
  on_failure: string | null;
  /** PARTIAL: the services that failed, and those skipped because of them. */
  failed: string[];
  skipped: string[];
  notifications: NonNullable<DeploymentProgress['notifications']>;
  /**
   * Circuit breakers not closed of the providers its running steps call (./provider-breakers.ts;
   * absent where the state store was not read).
   */
  providers?: ProviderBreaker[];
}

export async function deploymentStatus(
  client: Client,
  handle: WorkflowHandle,
  opts: {
    attempts?: ChildAttempts;
    /** How long the progress query alone took (ms): what answering it cost the worker, payload included. */
    queried?: (ms: number) => void;
  } = {},
): Promise<DeploymentStatus> {
  const asked = Date.now();
  const progress = await queryProgress(handle);
  opts.queried?.(Date.now() - asked);
  const running = Object.values(progress.services).filter((s) => s.state === 'RUNNING' && s.workflowId !== undefined);
  // One shot: describe every running child. A watcher's ChildAttempts picks a few, now and then.
  const live = opts.attempts
    ? await opts.attempts.read(client, running)
    : await describeEach(client, running.map((s) => s.workflowId!));
  const services: Record<string, ServiceStatus> = {};
  for (const s of Object.values(progress.services)) {
    services[s.name] = serviceStatus(s, s.state === 'RUNNING' && s.workflowId ? live.get(s.workflowId) : undefined);
  }
  return toStatus(handle.workflowId, progress, services);
}

/** What a describe of the running child says: the attempt its pending activity is on, and why the last one failed. */
export interface LiveAttempt {
  attempt: number;
  lastFailure: string | null;
  /** The step's latest heartbeat line, if the executor reported one. */
  line?: string | null;
  /** The provider the step calls, as its heartbeat names it. */
  provider?: string | null;
}

/**
 * One service as reported: a live attempt (from a describe) wins, and makes a service RETRYING
 * past its first attempt; otherwise the latest step the workflow recorded says how many attempts
 * it took and why the last failed one failed.
 */
export function serviceStatus(s: ServiceProgress, live: LiveAttempt | null | undefined): ServiceStatus {
  const recorded = latestStep(s.steps);
  const retrying = live != null && live.attempt > 1;
  const steps: ServiceStatus['steps'] = {};
  for (const [name, step] of Object.entries(s.steps ?? {}) as Array<[StepName, { attempts: number; lastFailure?: string } | undefined]>) {
    if (step) steps[name] = { attempts: step.attempts, last_failure: step.lastFailure ?? null };
  }
  return {
    state: retrying ? 'RETRYING' : s.state,
    type: s.type,
    wave: s.wave,
    attempt: live ? live.attempt : (recorded?.attempts ?? null),
    last_failure: live ? live.lastFailure : (recorded?.lastFailure ?? null),
    activity: live?.line ?? null,
    provider: live?.provider ?? null,
    started_at: s.startedAt ?? null,
    ended_at: s.endedAt ?? null,
    error: errorText(s.error),
    outputs: s.outputs,
    resources: s.resources,
    steps,
  };
}

/** A skip explains itself; a failure leads with the type the executor classified. */
function errorText(error: ServiceError | undefined): string | null {
  if (!error) return null;
  return error.type === 'Skipped' || !error.type ? error.message : `${error.type}: ${error.message}`;
}

/** Steps run apply → verify, and compensate after both: the last one present is the latest. */
const STEP_ORDER: readonly StepName[] = ['apply', 'verify', 'compensate'];

function latestStep(steps: ServiceProgress['steps']): { attempts: number; lastFailure?: string } | undefined {
  for (const name of [...STEP_ORDER].reverse()) {
    const step = steps?.[name];
    if (step) return step;
  }
  return undefined;
}

const recordedStepCount = (s: ServiceProgress) => Object.values(s.steps ?? {}).filter(Boolean).length;

/**
 * A watcher's view of running children's attempts across polls: describes only those the
 * scheduler picks, and remembers each answer (so RETRYING stays visible between describes) until
 * the child stops running or records another ended step (its cached attempt was for that step).
 */
export class ChildAttempts {
  private readonly scheduler: DescribeScheduler;
  private readonly known = new Map<string, { live: LiveAttempt | null; stepsRecorded: number }>();

  constructor(
    policy: DescribePolicy = WATCH_DESCRIBE_POLICY,
    private readonly now: () => number = Date.now,
  ) {
    this.scheduler = new DescribeScheduler(policy);
  }

  async read(client: Client, running: ServiceProgress[]): Promise<Map<string, LiveAttempt | null>> {
    const stepsRecorded = new Map(running.map((s) => [s.workflowId!, recordedStepCount(s)]));
    for (const [id, entry] of [...this.known]) {
      if (stepsRecorded.get(id) !== entry.stepsRecorded) this.known.delete(id);
    }
    const chosen = this.scheduler.select([...stepsRecorded.keys()], this.now());
    const answers = await describeEach(client, chosen);
    for (const id of chosen) this.known.set(id, { live: answers.get(id) ?? null, stepsRecorded: stepsRecorded.get(id)! });
    return new Map([...this.known].map(([id, entry]) => [id, entry.live]));
  }
}

/** Describes each child, a bounded number at a time. */
async function describeEach(client: Client, workflowIds: string[]): Promise<Map<string, LiveAttempt | null>> {
  const answers = new Map<string, LiveAttempt | null>();
  for (let i = 0; i < workflowIds.length; i += DESCRIBE_CONCURRENCY) {
    const batch = workflowIds.slice(i, i + DESCRIBE_CONCURRENCY);
    await Promise.all(batch.map(async (id) => answers.set(id, await currentAttempt(client, id))));
  }
  return answers;
}

const DESCRIBE_CONCURRENCY = 16;

function toStatus(workflowId: string, p: DeploymentProgress, services: Record<string, ServiceStatus>): DeploymentStatus {
  const ordered: Record<string, ServiceStatus> = {};
  for (const wave of p.waves) for (const name of wave) ordered[name] = services[name];
  return {
    id: p.deploymentId,
    name: p.name,
    environment: p.environment,
    phase: p.phase,
    workflow_id: workflowId,
    started_at: p.startedAt,
    ended_at: p.endedAt ?? null,
    error: p.error ?? null,
    waves: p.waves,
    services: ordered,
    rollback_manifest: p.rollbackManifest ?? null,
    record: p.record ?? null,
    rollback: p.rollback ?? null,
    orphans: p.orphans,
    orphan_check_error: p.orphanCheckError ?? null,
    unverifiable: p.unverifiable ?? [],
    retained: p.retained,
    requests: p.requests,
    awaiting_decision: p.awaitingDecision === true,
    paused: p.paused ?? null,
    approvals: p.approvals ?? null,
    bake: p.bake ?? null,
    on_failure: p.onFailure ?? null,
    failed: p.failed ?? [],
    skipped: p.skipped ?? [],
    notifications: p.notifications ?? [],
  };
}

/** The running child's pending activity: which attempt it is on and why the last one failed. */
async function currentAttempt(client: Client, childWorkflowId: string): Promise<LiveAttempt | null> {
  try {
    const { raw } = await client.workflow.getHandle(childWorkflowId).describe();
    // Encrypted payloads (src/codec): the heartbeat and the failure message decoded.
    const pending = await decodedForReading(client, raw.pendingActivities?.[0]);
    if (!pending) return null;
    const beat = heartbeatDetails(client, pending);
    return {
      attempt: pending.attempt ?? 1,
      lastFailure: pending.lastFailure?.message ?? null,
      line: beat.line,
      ...(beat.provider ? { provider: beat.provider } : {}),
    };
  } catch {
    return null;
  }
}

/**
 * The `line` (see ExecutorContext.heartbeat) and `provider` (the step runner's) of a pending
 * activity's last heartbeat; null when absent.
 */
function heartbeatDetails(
  client: Client,
  pending: { heartbeatDetails?: { payloads?: unknown[] | null } | null },
): { line: string | null; provider: string | null } {
  const payload = pending.heartbeatDetails?.payloads?.[0];
  if (!payload) return { line: null, provider: null };
  try {
    const details = client.options.loadedDataConverter.payloadConverter.fromPayload<{ line?: unknown; provider?: unknown }>(payload as never);
    const text = (value: unknown) => (typeof value === 'string' ? value : null);
    return { line: text(details?.line), provider: text(details?.provider) };
  } catch {
    return { line: null, provider: null }; // a payload we cannot decode (an encrypted one without the codec): show nothing rather than fail
  }
}

/**
 * What a closed deployment is known to have ended as, without the progress query. Once closed, the
 * query needs a worker to replay the whole history (a 2,000-service run is about 20,000 events:
 * longer than any watcher waits, and the worker spends that CPU again for every ask), and none may
 * be left. These need no worker, and each costs one read whatever the history's length:
 * - the workflow's result (its close event): the authority on the phase and on every service's
 *   state, outputs and error, the rollback, orphans and retained resources;
 * - the deployment record it stored as it ended (the recordDeployment activity's input and result,
 *   near the end of its history): when each service ran, when it ended, where the record is;
 * - the last status a query returned while it ran: what the result does not carry (waves, steps
 *   and attempts, notifications, approvals, bake); without one, the start input's plan (waves, types).
 */
export interface ClosedDeployment {
  workflowId: string;
  /**
   * Absent when the close event carries none: a deployment cancelled through Temporal closes with
   * a cancel command, which holds no details. The record then says how it ended (resultFromRecord).
   */
  result?: DeploymentResult;
  lastSeen?: DeploymentStatus;
  recorded?: RecordedDeployment;
  started?: { manifest: Manifest; plan: Plan };
  /** From a describe, when nothing above says. */
  startedAt?: string;
  closedAt?: string;
}

export function statusFromResult(c: ClosedDeployment): DeploymentStatus {
  const { lastSeen, started } = c;
  const record = c.recorded?.record;
  const result = c.result ?? (record ? resultFromRecord(record, lastSeen) : undefined);
  if (!result) throw new Error(`workflow ${c.workflowId} closed with neither a result nor a stored deployment record`);
  const orphanCheck = c.recorded?.orphanCheck;
  const spec = started?.manifest.deployment;
  const specOf = new Map((spec?.services ?? []).map((s) => [s.name, s]));
  const services: Record<string, ServiceStatus> = {};
  for (const [name, ended] of Object.entries(result.services)) {
    const seen = lastSeen?.services[name];
    const ran = record?.services[name];
    // Attempts from the steps recorded as they ended: a live attempt seen while it ran is over.
    const recorded = latestRecordedStep(seen?.steps);
    services[name] = {
      state: ended.state,
      type: seen?.type ?? specOf.get(name)?.type ?? '',
      wave: seen?.wave ?? started?.plan.waveOf[name] ?? 0,
      attempt: recorded?.attempts ?? null,
      last_failure: recorded?.last_failure ?? null,
      activity: null,
      provider: null,
      started_at: ran?.startedAt ?? seen?.started_at ?? null,
      ended_at: ran?.endedAt ?? seen?.ended_at ?? null,
      error: errorText(ended.error),
      outputs: ended.outputs ?? {},
      resources: seen?.resources ?? [],
      steps: seen?.steps ?? {},
    };
  }
  const waves = lastSeen?.waves ?? started?.plan.waves ?? [Object.keys(services)];
  const ordered: Record<string, ServiceStatus> = {};
  for (const wave of waves) for (const name of wave) if (services[name]) ordered[name] = services[name];
  // Whatever no wave names (never, unless the plan and the result disagree) still shows.
  const unplaced = Object.keys(services).filter((name) => !(name in ordered));
  for (const name of unplaced) ordered[name] = services[name];
  return {
    id: result.deploymentId,
    name: lastSeen?.name ?? record?.name ?? spec?.name ?? '',
    environment: lastSeen?.environment ?? record?.environment ?? spec?.environment ?? '',
    phase: result.phase,
    workflow_id: c.workflowId,
    started_at: lastSeen?.started_at ?? record?.startedAt ?? c.startedAt ?? '',
    ended_at: lastSeen?.ended_at ?? record?.endedAt ?? c.closedAt ?? null,
    error: result.error ?? null,
    waves: unplaced.length > 0 ? [...waves, unplaced] : waves,
    services: ordered,
    rollback_manifest: lastSeen?.rollback_manifest ?? record?.rollbackManifest ?? null,
    record: c.recorded?.location ?? (c.recorded?.recordError !== undefined ? `not stored: ${c.recorded.recordError}` : undefined) ?? lastSeen?.record ?? null,
    rollback: result.rollback ?? lastSeen?.rollback ?? null,
    orphans: result.orphans ?? [],
    // Not in the result nor the record: from the orphan check's own events in the history, else as last seen.
    orphan_check_error: orphanCheck ? (orphanCheck.error ?? null) : (lastSeen?.orphan_check_error ?? null),
    unverifiable: orphanCheck ? orphanCheck.unverifiable : (lastSeen?.unverifiable ?? []),
    retained: result.retained ?? [],
    requests: lastSeen?.requests ?? [],
    awaiting_decision: false,
    paused: null,
    approvals: lastSeen?.approvals ?? null,
    bake: lastSeen?.bake ?? null,
    on_failure: lastSeen?.on_failure ?? spec?.strategy.on_failure ?? null,
    failed: result.failed ?? [],
    skipped: result.skipped ?? [],
    notifications: lastSeen?.notifications ?? [],
  };
}

/**
 * A DeploymentResult from the record the workflow stored as it ended (its phase, each service's
 * state and error message, orphans, retained), for a close that carries no result (a Temporal
 * cancel). The record keeps no outputs nor error types: those come from the last status seen.
 */
export function resultFromRecord(record: DeploymentRecord, lastSeen?: DeploymentStatus): DeploymentResult {
  const services: DeploymentResult['services'] = {};
  for (const [name, s] of Object.entries(record.services)) {
    const seen = lastSeen?.services[name];
    services[name] = {
      state: s.state as ServiceState,
      outputs: seen?.outputs ?? {},
      // The record keeps the message only (no type: errorText shows it as it is), or as last seen with its type.
      ...(s.error ? { error: { type: '', message: seen?.error?.endsWith(s.error) ? seen.error : s.error } } : {}),
    };
  }
  return {
    deploymentId: record.deploymentId,
    phase: record.phase as DeploymentPhase,
    services,
    ...(record.error !== undefined ? { error: record.error } : {}),
    orphans: record.orphans,
    retained: record.retained as DeploymentResult['retained'],
    ...(lastSeen ? { failed: lastSeen.failed, skipped: lastSeen.skipped } : {}),
  };
}

function latestRecordedStep(steps: ServiceStatus['steps'] | undefined): { attempts: number; last_failure: string | null } | undefined {
  for (const name of [...STEP_ORDER].reverse()) {
    const step = steps?.[name];
    if (step) return step;
  }
  return undefined;
}

/** The deployment record a closed workflow stored, and where, as its history ends. */
export interface RecordedDeployment {
  record?: DeploymentRecord;
  location?: string;
  /** recordDeployment failed: why (progress says `not stored: <this>`). */
  recordError?: string;
  /**
   * The orphan check that ran before the record (findOrphans, after a rollback), as the workflow
   * read it: its error, or the services it could not verify. Absent when none ran or it is not in
   * the page read.
   */
  orphanCheck?: { error?: string; unverifiable: Array<{ service: string; reason: string }> };
}

/**
 * The record is stored by the last activity a deployment runs (recordDeployment): its input is the
 * record, its result the location. One page of history read backwards finds it, whatever the
 * history's length; undefined when it is not there (runs from before records, or not stored).
 */
export async function recordedDeployment(client: Client, workflowId: string, runId: string): Promise<RecordedDeployment | undefined> {
  try {
    const { history } = await client.workflowService.getWorkflowExecutionHistoryReverse({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      maximumPageSize: RECORD_SEARCH_EVENTS,
    });
    const convert = client.options.loadedDataConverter.payloadConverter;
    const events = await decodedForReading(client, (history?.events ?? []) as HistoryEventLike[]);
    return recordedFromEvents(events, (payload) => convert.fromPayload(payload as never));
  } catch {
    // A server without the reverse read, or payloads this client cannot decode: the result alone.
    return undefined;
  }
}

/** The parts of a history event (temporal.api.history.v1.HistoryEvent) read here. */
export interface HistoryEventLike {
  eventId?: unknown;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null; input?: { payloads?: unknown[] | null } | null } | null;
  activityTaskCompletedEventAttributes?: { scheduledEventId?: unknown; result?: { payloads?: unknown[] | null } | null } | null;
  activityTaskFailedEventAttributes?: { scheduledEventId?: unknown; failure?: FailureLike | null } | null;
  activityTaskTimedOutEventAttributes?: { scheduledEventId?: unknown; failure?: FailureLike | null } | null;
}

interface FailureLike {
  message?: string | null;
  cause?: FailureLike | null;
  applicationFailureInfo?: unknown;
}

/**
 * The record and the orphan check, from a history page read newest first: the last recordDeployment
 * and, before it, the last findOrphans, each with how it ended. Mirrors closing.ts: an orphan check
 * that failed is `could not check the live inventory: <message>`; the entries it returned marked
 * unverifiable are the unverifiable services. Undefined when no recordDeployment is in the page.
 */
export function recordedFromEvents(events: HistoryEventLike[], fromPayload: (payload: unknown) => unknown): RecordedDeployment | undefined {
  const scheduledIndex = events.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === RECORD_ACTIVITY);
  if (scheduledIndex < 0) return undefined;
  const scheduled = events[scheduledIndex];
  const ended = activityEnd(events, scheduled.eventId);
  const input = scheduled.activityTaskScheduledEventAttributes?.input?.payloads?.[0];
  const record = input ? (fromPayload(input) as DeploymentRecord | undefined) : undefined;
  const location = ended?.result !== undefined ? fromPayload(ended.result) : undefined;
  const check = events.slice(scheduledIndex + 1).find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === ORPHANS_ACTIVITY);
  const checked = check ? activityEnd(events, check.eventId) : undefined;
  let orphanCheck: RecordedDeployment['orphanCheck'];
  if (checked?.failure !== undefined) {
    orphanCheck = { error: `could not check the live inventory: ${checked.failure}`, unverifiable: [] };
  } else if (checked?.result !== undefined) {
    const found = fromPayload(checked.result);
    const entries = Array.isArray(found) ? (found as Array<{ service?: unknown; unverifiable?: unknown }>) : [];
    orphanCheck = {
      unverifiable: entries.flatMap((o) => (typeof o.unverifiable === 'string' ? [{ service: String(o.service), reason: o.unverifiable }] : [])),
    };
  }
  return {
    ...(record && typeof record === 'object' && record.services ? { record } : {}),
    ...(typeof location === 'string' ? { location } : {}),
    ...(ended?.failure !== undefined ? { recordError: ended.failure } : {}),
    ...(orphanCheck ? { orphanCheck } : {}),
  };
}

/** How the activity scheduled as `scheduledEventId` ended, in `events`: its result payload, or its failure's message. */
function activityEnd(events: HistoryEventLike[], scheduledEventId: unknown): { result?: unknown; failure?: string } | undefined {
  const same = (id: unknown) => id != null && String(id) === String(scheduledEventId);
  for (const e of events) {
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed && same(completed.scheduledEventId)) {
      const payload = completed.result?.payloads?.[0];
      return payload === undefined ? {} : { result: payload };
    }
    const failed = e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes;
    if (failed && same(failed.scheduledEventId)) return { failure: failureMessage(failed.failure) };
  }
  return undefined;
}

/** As describeFailure (../workflows/failures.ts) reads it: the first application failure down the chain, else the last. */
function failureMessage(failure: FailureLike | null | undefined): string {
  let current = failure;
  while (current) {
    if (current.applicationFailureInfo || !current.cause) return current.message ?? '';
    current = current.cause;
  }
  return '';
}

const RECORD_ACTIVITY = 'recordDeployment';
const ORPHANS_ACTIVITY = 'findOrphans';
/**
 * After the record come its completion, one workflow task and the close; before it, the notifier's
 * last deliveries and the orphan check. A page is plenty (signals may add a few).
 */
const RECORD_SEARCH_EVENTS = 200;

/** A DeploymentResult, when `value` (a workflow's result, or its failure's first detail) is one. */
export function asDeploymentResult(value: unknown): DeploymentResult | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Partial<DeploymentResult>;
  return typeof v.phase === 'string' && typeof v.deploymentId === 'string' && typeof v.services === 'object' && v.services !== null
    ? (v as DeploymentResult)
    : undefined;
}
