/**
 * Injecting a seed's faults at their points. Each fault is armed before the deployment starts (a
 * cloud hold, a gate in the manifest, sim-cloud overrides), its point is detected, never timed
 * (the cloud holds a request, a gate file appears, the ledger shows the intent, a child's history
 * shows it completed, PostgreSQL shows the intent INSERT waiting), then the fault is injected and
 * the hold released. Injections are serialised: one fault at a time.
 */
import fs from 'node:fs';
import { Client as PgClient } from 'pg';
import { TEST_POSTGRES_URL } from '../../test/support/postgres';
import type { Client } from '@temporalio/client';
import { environmentWorkflowId } from '../../src/api/workflow-ids';
import type { ReleaseFiles } from './manifest';
import type { ChaosPlan, PlannedFault } from './plan';
import type { SeedStack, ServerStack, WorkerSlot } from './stack';

const POLL_MS = 50;
/** How long the ledger stays locked waiting for an intent on its way (each blocked write fails after lock_timeout, 5 s, and is retried). */
const BEFORE_INTENT_WINDOW_MS = 30_000;

export interface InjectedFault {
  fault: PlannedFault;
  /** What happened: `killed worker 1 (PID 123), restarted`, or why it never fired. */
  outcome: string;
  reached: boolean;
  /** child-completed: whether the parent had already taken the completion in when the fault landed. */
  parentHadProgressed?: boolean;
}

export interface FaultContext {
  plan: ChaosPlan;
  deploymentId: string;
  release: ReleaseFiles;
  client: Client;
  server: ServerStack;
  stack: SeedStack;
  /** A direct connection to PostgreSQL (not through the proxy): the runner's own view of the ledger. */
  pg: PgClient;
  /** Resolves when the deployment has closed: a point not reached by then never will be. */
  closed: Promise<void>;
  log: (msg: string) => void;
}

/** Before the deployment starts: holds and overrides (gates are already in the manifest). */
export async function armFaults(ctx: Omit<FaultContext, 'closed' | 'deploymentId' | 'client' | 'pg'>): Promise<void> {
  const { plan, stack } = ctx;
  for (const s of plan.services) {
    if (s.kind === 'sim' && s.transientFailures > 0) await stack.cloud.setOverride(s.name, { fail_transient: s.transientFailures });
  }
  for (const f of plan.faults) {
    const op = holdOp(f);
    if (op && f.service) await stack.cloud.hold(f.service, op);
  }
}

function holdOp(f: PlannedFault): 'apply' | 'verify' | 'compensate' | undefined {
  if (!f.service) return undefined;
  if (f.point === 'mid-verify') return 'verify';
  if (f.point === 'mid-compensation') return 'compensate';
  if (f.point === 'after-intent' || (f.point === 'mid-apply' && !isGated(f))) return 'apply';
  return undefined;
}

/** Shell and OpenTofu services are held mid-apply by a gate file, the simulated ones by the cloud. */
function isGated(f: PlannedFault): boolean {
  return f.point === 'mid-apply' && !f.service?.startsWith('sim-');
}

/** Runs every fault: waits for its point, injects, releases. Resolves when all have fired or can no longer. */
export async function runFaults(ctx: FaultContext): Promise<InjectedFault[]> {
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  };
  return Promise.all(ctx.plan.faults.map((fault) => runFault(ctx, fault, serial)));
}

async function runFault(ctx: FaultContext, fault: PlannedFault, serial: <T>(work: () => Promise<T>) => Promise<T>): Promise<InjectedFault> {
  if (fault.kind === 'transient') return { fault, reached: true, outcome: `${ctx.plan.services.filter((s) => s.transientFailures > 0).length} services fail transiently first` };
  let closed = false;
  void ctx.closed.then(() => (closed = true));
  const point = await detect(ctx, fault, () => closed);
  if (!point) {
    await release(ctx, fault);
    return { fault, reached: false, outcome: 'point not reached before the deployment closed' };
  }
  return serial(async () => {
    try {
      const outcome = await inject(ctx, fault, point);
      const parentHadProgressed = fault.point === 'child-completed' ? await parentTookChild(ctx, fault.service!, point.parentEventsAtDetection) : undefined;
      ctx.log(`fault ${fault.kind}@${fault.point}${fault.service ? `:${fault.service}` : ''}: ${outcome}`);
      return { fault, reached: true, outcome, ...(parentHadProgressed !== undefined ? { parentHadProgressed } : {}) };
    } finally {
      await point.unblock?.();
      await release(ctx, fault);
    }
  });
}

interface DetectedPoint {
  /** The worker running the step there, when one is known. */
  executingPid?: number;
  /** For before-intent: ends the runner's lock on the ledger. */
  unblock?: () => Promise<void>;
  parentEventsAtDetection?: number;
}

async function detect(ctx: FaultContext, fault: PlannedFault, isClosed: () => boolean): Promise<DetectedPoint | undefined> {
  const service = fault.service;
  const until = async (probe: () => Promise<boolean> | boolean): Promise<boolean> => {
    for (;;) {
      if (await Promise.resolve().then(probe).catch(() => false)) return true;
      if (isClosed()) return false;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };
  switch (fault.point) {
    case 'mid-apply':
    case 'mid-verify':
    case 'mid-compensation': {
      const ok = isGated(fault)
        ? await until(() => fs.existsSync(ctx.release.gate(service!).waiting))
        : await until(async () => ((await ctx.stack.cloud.holds()).find((h) => h.service === service && h.op === holdOp(fault))?.waiting ?? 0) > 0);
      if (!ok) return undefined;
      const activityOwner = fault.point === 'mid-compensation' ? ctx.deploymentId : `${ctx.deploymentId}.${service}`;
      return { executingPid: await pendingActivityPid(ctx, activityOwner) };
    }
    case 'after-intent': {
      const key = `${ctx.deploymentId}:${service}:apply`;
      const ok = await until(async () => {
        const { rows } = await ctx.pg.query(`SELECT status FROM "${ctx.stack.schema}".intents WHERE deployment_id = $1 AND idempotency_key = $2`, [ctx.deploymentId, key]);
        return rows[0]?.status === 'intent';
      });
      return ok ? { executingPid: await pendingActivityPid(ctx, `${ctx.deploymentId}.${service}`) } : undefined;
    }
    case 'child-completed': {
      const child = ctx.client.workflow.getHandle(`${ctx.deploymentId}.${service}`);
      const ok = await until(async () => (await child.describe()).status.name === 'COMPLETED');
      if (!ok) return undefined;
      return { parentEventsAtDetection: await parentEventCount(ctx) };
    }
    case 'before-intent':
      return detectBeforeIntent(ctx, fault, until);
    default:
      return undefined;
  }
}

/**
 * Armed once `afterConfirmed` steps are confirmed: the runner locks the ledger table (writes
 * wait; reads go on) until a worker's intent INSERT is seen waiting on that lock in
 * pg_stat_activity. The fault then lands with that intent not recorded; the lock is released
 * right after (a write that waited past lock_timeout fails its step, which Temporal retries).
 */
async function detectBeforeIntent(ctx: FaultContext, fault: PlannedFault, until: (probe: () => Promise<boolean> | boolean) => Promise<boolean>): Promise<DetectedPoint | undefined> {
  const table = `"${ctx.stack.schema}".intents`;
  const armed = await until(async () => {
    const { rows } = await ctx.pg.query(`SELECT count(*)::int AS n FROM ${table} WHERE deployment_id = $1 AND status = 'confirmed'`, [ctx.deploymentId]);
    return rows[0].n >= (fault.afterConfirmed ?? 0);
  });
  if (!armed) return undefined;
  // Its own connection: the lock's transaction must not be the one that reads pg_stat_activity
  // (a transaction sees one snapshot of it), nor hold up the other faults' probes.
  const locker = new PgClient({ connectionString: TEST_POSTGRES_URL });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query(`LOCK TABLE ${table} IN EXCLUSIVE MODE`);
  const unblock = async () => {
    await locker.query('COMMIT').catch(() => undefined);
    await locker.end().catch(() => undefined);
  };
  const lockedAt = Date.now();
  const waiting = await until(async () => {
    const { rows } = await ctx.pg.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO %intents%' AND query LIKE $1 AND datname = current_database()`,
      [`%"${ctx.stack.schema}"%`],
    );
    // Never the runner's own hang: no intent on its way within the window, and the point is given up.
    return rows[0].n > 0 || Date.now() - lockedAt > BEFORE_INTENT_WINDOW_MS;
  });
  if (!waiting || Date.now() - lockedAt > BEFORE_INTENT_WINDOW_MS) {
    await unblock();
    return undefined;
  }
  return { unblock };
}

async function inject(ctx: FaultContext, fault: PlannedFault, point: DetectedPoint): Promise<string> {
  const { stack, server } = ctx;
  switch (fault.kind) {
    case 'kill-worker': {
      const alive = stack.workers.filter((w) => w.alive);
      if (alive.length === 0) return 'no worker alive to kill';
      const executing = alive.find((w) => w.process?.pid === point.executingPid);
      const victim: WorkerSlot =
        fault.victim === 'executing' ? (executing ?? alive[0]) : (alive.find((w) => w !== executing) ?? alive[0]);
      const pid = victim.process?.pid;
      await stack.killWorker(victim);
      // At least one worker always comes back.
      const restart = fault.restart || stack.workers.every((w) => !w.alive);
      if (restart) await stack.startWorker(victim);
      const role = victim === executing ? 'running the step' : executing ? 'not running the step' : 'step owner unknown';
      return `SIGKILLed worker ${victim.index} (PID ${pid}, ${role})${restart ? ', restarted' : ''}`;
    }
    case 'restart-server': {
      const before = server.serverPid();
      await server.restartServer({ hardKill: fault.hardKill ?? false });
      return `dev server ${fault.hardKill ? 'SIGKILLed' : 'stopped'} (PID ${before}) and restarted (PID ${server.serverPid()}) on the same port and database`;
    }
    case 'store-down': {
      const ms = fault.downMs ?? 3_000;
      stack.proxy.cut();
      // The outage's length is the fault itself, not a synchronisation.
      await new Promise((resolve) => setTimeout(resolve, ms));
      stack.proxy.restore();
      return `state store unreachable for ${ms / 1000} s (connections reset, new ones refused)`;
    }
    default:
      return 'nothing to inject';
  }
}

async function release(ctx: FaultContext, fault: PlannedFault): Promise<void> {
  const op = holdOp(fault);
  if (op && fault.service) await ctx.stack.cloud.release(fault.service, op).catch(() => undefined);
  if (isGated(fault) && fault.service) fs.writeFileSync(ctx.release.gate(fault.service).open, '');
}

/** The PID in the identity (`<pid>@<host>`) of the worker running the first pending activity of a workflow. */
async function pendingActivityPid(ctx: FaultContext, workflowId: string): Promise<number | undefined> {
  try {
    const { raw } = await ctx.client.workflow.getHandle(workflowId).describe();
    const identity = raw.pendingActivities?.find((a) => a.lastWorkerIdentity)?.lastWorkerIdentity ?? '';
    const pid = Number(identity.split('@')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function parentEventCount(ctx: FaultContext): Promise<number> {
  const { raw } = await ctx.client.workflow.getHandle(parentWorkflowId(ctx)).describe();
  return Number(raw.workflowExecutionInfo?.historyLength ?? 0);
}

/** Whether the parent's history had a workflow task completed after its child's completion when the fault landed. */
async function parentTookChild(ctx: FaultContext, service: string, eventsAtDetection?: number): Promise<boolean | undefined> {
  if (eventsAtDetection === undefined) return undefined;
  try {
    const history = await ctx.client.workflow.getHandle(parentWorkflowId(ctx)).fetchHistory();
    const events = (history.events ?? []).slice(0, eventsAtDetection);
    const completedAt = events.findIndex(
      (e) => e.childWorkflowExecutionCompletedEventAttributes?.workflowExecution?.workflowId === `${ctx.deploymentId}.${service}`,
    );
    if (completedAt < 0) return false;
    return events.slice(completedAt + 1).some((e) => e.workflowTaskCompletedEventAttributes);
  } catch {
    return undefined;
  }
}

export function parentWorkflowId(ctx: Pick<FaultContext, 'release'>): string {
  return environmentWorkflowId(ctx.release.name, ctx.release.environment);
}
