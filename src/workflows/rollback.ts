/**
 * The saga's compensation phase. Every service whose child was started was registered for
 * compensation before its first side effect; here they are undone in reverse dependency order —
 * a service only after everything depending on it — independent ones in parallel under the same
 * cap. Runs inside a non-cancellable scope: a rollback is never left half-done. A compensation
 * that still fails after its retries parks the rollback (ROLLBACK_BLOCKED) until an operator
 * retries or skips it.
 */
import { condition, patched, proxyActivities } from '@temporalio/workflow';
import type { TugboatActivities } from '../activities';
import type { ContinueRollbackInput } from '../api/messages';
import type {
  BlockedCompensation,
  DeploymentPhase,
  ResourceRef,
  RetainedResource,
  RollbackProgress,
  StopTrigger,
} from '../api/progress';
import { idempotencyKey, type CompensateResult, type DeploymentScope } from '../api/workflow-types';
import type { Manifest, ServiceSpec } from '../manifest/schema';
import type { Plan } from '../plan';
import { stepActivityOptions } from './activity-options';
import { PATCH_SPECIALTY_QUEUES, serviceTaskQueue } from './service-queue';
import { describeFailure, stepsOfFailure } from './failures';
import type { ProgressTracker } from './progress-tracker';
import { servicesReleasedBySkip } from './operator-rules';

export interface RollbackContext {
  deploymentId: string;
  scope: DeploymentScope;
  manifest: Manifest;
  plan: Plan;
  tracker: ProgressTracker;
  /** Services that were started (their compensations registered), dependency-closed. */
  registered: ReadonlySet<string>;
  /** Per service, "absent" or "present …" before the deployment: delete vs restore. */
  previous: Record<string, string>;
  setPhase(phase: DeploymentPhase): void;
  /** Operator decisions for a blocked rollback, consumed in order. */
  continueRequests: ContinueRollbackInput[];
}

/** patched() ID: what a retained (or skipped) service depends on is kept too, not undone under it. */
export const PATCH_RETAIN_KEEPS_DEPENDENCIES = 'retain-keeps-dependencies-v1';

export async function rollBack(ctx: RollbackContext, trigger: StopTrigger, reason: string): Promise<void> {
  const { plan, tracker } = ctx;
  const specs = new Map(ctx.manifest.deployment.services.map((s) => [s.name, s]));
  const toUndo = [...plan.order].reverse().filter((s) => ctx.registered.has(s));
  const progress: RollbackProgress = { state: 'RUNNING', trigger, reason, order: [], blocked: [] };
  tracker.data.rollback = progress;
  const done = new Set<string>();
  const inFlight = new Set<string>();
  const cap = ctx.manifest.deployment.strategy.max_parallel;

  // Undoing a network under a database that stays would break the database (or fail, as a
  // cloud refuses to delete a VPC still in use): whatever a kept service depends on is kept too.
  const keepsDependencies = patched(PATCH_RETAIN_KEEPS_DEPENDENCIES);
  const neededBy = new Map<string, string>();
  const keepUpstreamOf = (name: string) => {
    if (!keepsDependencies) return;
    for (const dep of plan.upstream[name]) {
      if (ctx.registered.has(dep) && !neededBy.has(dep) && specs.get(dep)!.on_rollback !== 'retain') {
        neededBy.set(dep, name);
      }
    }
  };
  for (const name of toUndo) if (specs.get(name)!.on_rollback === 'retain') keepUpstreamOf(name);
  const keepForDependent = (name: string) => {
    retain(ctx, name, tracker.resourcesOf(name), `needed by ${neededBy.get(name)!}`);
    done.add(name);
  };

  const ready = (s: string) =>
    !done.has(s) &&
    !inFlight.has(s) &&
    !progress.blocked.some((b) => b.service === s) &&
    plan.dependents[s].every((d) => !ctx.registered.has(d) || done.has(d));

  const compensate = async (name: string) => {
    const service = specs.get(name)!;
    tracker.setState(name, 'ROLLING_BACK');
    try {
      const result = await compensateOnce(ctx, service);
      if (result.attempts) tracker.stepEnded(name, { compensate: result.attempts });
      if (result.action === 'retain') retain(ctx, name, result.resources, 'on_rollback: retain');
      else tracker.setState(name, 'ROLLED_BACK');
      done.add(name);
      progress.order.push(name);
    } catch (err) {
      tracker.stepEnded(name, stepsOfFailure(err));
      tracker.setState(name, 'ROLLBACK_BLOCKED');
      const resources = tracker.resourcesOf(name);
      progress.blocked.push({ service: name, resources, error: describeFailure(err).message });
    } finally {
      inFlight.delete(name);
    }
  };

  ctx.setPhase('ROLLING_BACK');
  while (done.size < toUndo.length) {
    const doneBeforePass = done.size;
    for (const name of toUndo) {
      if (neededBy.has(name) && !done.has(name)) keepForDependent(name);
      if (inFlight.size >= cap) break;
      if (!ready(name)) continue;
      if (tracker.data.services[name].state === 'UNCHANGED') {
        // It ran this very version before the deployment: nothing to undo, nothing to call.
        tracker.setState(name, 'ROLLED_BACK');
        done.add(name);
        progress.order.push(name);
        continue;
      }
      inFlight.add(name);
      void compensate(name);
    }
    if (inFlight.size === 0 && progress.blocked.length > 0) {
      progress.state = 'BLOCKED';
      ctx.setPhase('ROLLBACK_BLOCKED');
      await condition(() => ctx.continueRequests.length > 0);
      for (const skipped of applyDecision(ctx, ctx.continueRequests.shift()!, progress, done)) keepUpstreamOf(skipped);
      progress.state = 'RUNNING';
      ctx.setPhase('ROLLING_BACK');
      continue;
    }
    // Services with nothing to undo finish within the pass: look again rather than wait for an event.
    if (inFlight.size === 0 && done.size !== doneBeforePass) continue;
    const snapshot = { inFlight: inFlight.size, done: done.size, blocked: progress.blocked.length };
    await condition(
      () => inFlight.size < snapshot.inFlight || done.size !== snapshot.done || progress.blocked.length !== snapshot.blocked,
    );
  }
  progress.state = 'DONE';
}

async function compensateOnce(ctx: RollbackContext, service: ServiceSpec): Promise<CompensateResult> {
  const action =
    service.on_rollback === 'retain' ? 'retain' : ctx.previous[service.name] === 'absent' ? 'delete' : 'restore';
  const { compensateService } = proxyActivities<TugboatActivities>(
    // The compensation's own policy (rollback_retry), not the apply's: see stepActivityOptions.
    stepActivityOptions(
      service,
      'compensate',
      `rollback ${service.name}: ${action}`,
      patched(PATCH_SPECIALTY_QUEUES) ? serviceTaskQueue(service, ctx.manifest.deployment) : undefined,
    ),
  );
  return compensateService({
    deploymentId: ctx.deploymentId,
    service,
    action,
    idempotencyKey: idempotencyKey(ctx.deploymentId, service.name, 'compensate'),
    deployment: ctx.scope,
  });
}

/** A service left as it is: RETAINED, its resources reported with why (never as orphans). */
function retain(ctx: RollbackContext, name: string, resources: ResourceRef[], why: RetainedResource['why']): void {
  ctx.tracker.setState(name, 'RETAINED');
  for (const r of resources) ctx.tracker.data.retained.push({ ...r, service: name, why });
}



/** Applies an operator's decision; returns the services it skipped (kept as they are). */
function applyDecision(
  ctx: RollbackContext,
  decision: ContinueRollbackInput,
  progress: RollbackProgress,
  done: Set<string>,
): string[] {
  if (decision.retry) {
    progress.blocked = [];
    return [];
  }
  const released = new Set(servicesReleasedBySkip(decision.skip ?? [], progress.blocked));
  const stillBlocked: BlockedCompensation[] = [];
  for (const b of progress.blocked) {
    if (!released.has(b.service)) {
      stillBlocked.push(b);
      continue;
    }
    retain(ctx, b.service, b.resources, 'skipped by operator');
    done.add(b.service);
  }
  progress.blocked = stillBlocked;
  return [...released];
}
