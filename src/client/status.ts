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
  ResourceRef,
  ServiceProgress,
  ServiceState,
} from '../api/progress';
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
  opts: { attempts?: ChildAttempts } = {},
): Promise<DeploymentStatus> {
  const progress = await queryProgress(handle);
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
    // A skip explains itself; a failure leads with the type the executor classified.
    error: s.error ? (s.error.type === 'Skipped' ? s.error.message : `${s.error.type}: ${s.error.message}`) : null,
    outputs: s.outputs,
    resources: s.resources,
    steps,
  };
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
    const pending = raw.pendingActivities?.[0];
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
