/**
 * Tugboat's activities: thin adapters from Temporal to executors and the state store. Created
 * per worker with their dependencies injected; the workflows import only the type.
 */
import type {
  ApplyOutcome,
  BakeInput,
  BakeResult,
  NotifyInput,
  NotifyResult,
  CompensateInput,
  CompensateResult,
  FindOrphansInput,
  PrepareRollbackInput,
  PrepareRollbackResult,
  StepInput,
  VerifyOutcome,
} from '../api/workflow-types';
import { PermanentDeployError } from '../executors/errors';
import type { ExecutorRegistry } from '../executors/registry';
import type { DeploymentRecord, StateStore } from '../state';
import { Context } from '@temporalio/activity';
import { parseDuration } from '../manifest/schema';
import { probeUntilHealthy } from './converge';
import { decideDeployment } from './decide';
import { runPreflight, type PreflightInput, type PreflightIssue } from './preflight';
import { checkEndpoint } from './health';
import { probeHealthCheck } from './service-health';
import { findOrphans, prepareRollback } from './rollback';
import { runStep } from './step-runner';
import { sendNotification } from './notify';
import { bakeRelease } from './bake';
import { loadRollbackRelease, type LoadRollbackReleaseInput, type RollbackReleasePlan } from './rollback-release';
import { applyUnlessUnchanged } from './unchanged';

export interface ActivityDependencies {
  executors: ExecutorRegistry;
  store: StateStore;
  /** The worker's environment, where secret references resolve (process.env unless a test injects one). */
  env?: NodeJS.ProcessEnv;
}

export function createActivities(deps: ActivityDependencies) {
  const { executors, store } = deps;
  const env = deps.env ?? process.env;
  return {
    /** Hand-started runs (no plan in the input) are validated, planned and preflighted here. */
    decideDeployment: (raw: unknown, run?: { deploymentId: string; baseDir?: string }) =>
      decideDeployment(raw, run && { ...run, preflight: (input: PreflightInput) => runPreflight(executors, input, Context.current().cancellationSignal, env) }),

    /** Run by the client (through preflightWorkflow) before it starts a deployment. */
    preflightDeployment: (input: PreflightInput): Promise<PreflightIssue[]> =>
      runPreflight(executors, input, Context.current().cancellationSignal, env),

    prepareRollback: (input: PrepareRollbackInput): Promise<PrepareRollbackResult> => prepareRollback(deps, input),

    async applyService(input: StepInput): Promise<ApplyOutcome> {
      // No ledger here: whether apply has a side effect is known only once the live state is read
      // (an unchanged service has none), so applyUnlessUnchanged records the intent itself.
      return runStep('apply', input, { store, env, ledger: false, executors }, (ctx) =>
        applyUnlessUnchanged(ctx, {
          executor: executors.get(input.service.executor),
          store,
          attempt: Context.current().info.attempt,
          scoped: input.deployment !== undefined,
        }),
      );
    },

    async verifyService(input: StepInput): Promise<VerifyOutcome> {
      // The store only counts attempts here: verify has no side effect to record intent for.
      return runStep('verify', input, { store, ledger: false, env, executors }, (ctx) => {
        const executor = executors.get(input.service.executor);
        const { attempt, scheduledTimestampMs } = Context.current().info;
        // The first attempt's window opens when it starts probing (time queued for a worker is not
        // the service's); a retry's is measured from the step's first schedule, so retrying does
        // not restart the window.
        const windowStart = attempt === 1 ? Date.now() : scheduledTimestampMs;
        const windowMs = input.service.verify_timeout === undefined ? 0 : parseDuration(input.service.verify_timeout);
        const check = input.service.health_check;
        // The executor's own verify first (is it applied?), then the service's health check (does it
        // answer?). Once applied, only the health check repeats: an executor's verify may be costly
        // (tofu init and show), and being applied does not change while the service warms up.
        let applied: Awaited<ReturnType<typeof executor.verify>> | undefined;
        const probe = async () => {
          if (!applied?.healthy) applied = await executor.verify(ctx);
          const own = applied;
          if (!own.healthy || !check) return own;
          const health = await probeHealthCheck(check, ctx.signal);
          return health.healthy ? { ...own, detail: [own.detail, health.detail].filter(Boolean).join('; ') } : health;
        };
        return probeUntilHealthy(probe, {
          deadlineMs: windowStart + windowMs,
          intervalMs: check ? parseDuration(check.interval) : undefined,
          signal: ctx.signal,
          onUnhealthy: (outcome, probes) => ctx.heartbeat({ step: 'verify', probes, detail: outcome.detail }),
        });
      });
    },

    async compensateService(input: CompensateInput): Promise<CompensateResult> {
      return runStep('compensate', input, { store, env, executors }, async (ctx) => {
        if (input.action !== 'restore') return executors.get(input.service.executor).compensate(ctx, input.action, null);
        const manifest = await store.getRollbackManifest(input.deploymentId);
        const entry = manifest?.services[input.service.name];
        // Never guess: restoring without the recorded previous state would delete what existed.
        if (!entry?.previous) {
          throw new PermanentDeployError(
            `cannot restore ${input.service.name}: its previous state is not in the rollback manifest ` +
              `(${store.location}); restore the state store or skip it with continue-rollback`,
          );
        }
        return executors.get(input.service.executor).compensate(ctx, input.action, entry.previous);
      });
    },

    findOrphans: (input: FindOrphansInput) => findOrphans(deps, input),

    /** Keeps how the deployment ended beyond Temporal's retention of closed workflows. */
    async recordDeployment(record: DeploymentRecord): Promise<string> {
      const location = await store.saveDeploymentRecord(record);
      // The run is over: what executors kept for its steps (a killed attempt's working copy) can go.
      for (const result of await executors.cleanup(record.deploymentId)) {
        if (result.status === 'rejected') Context.current().log.warn('executor cleanup failed', { error: String(result.reason) });
      }
      return location;
    },

    checkEndpoint,

    /** Posts one notification; never throws for a receiver that is down (the result says so). */
    notify: (input: NotifyInput): Promise<NotifyResult> => sendNotification(input, Context.current().cancellationSignal, { env }),

    /** The bake window: one heartbeating activity that probes health until the window closes or a check fails. */
    bakeRelease: (input: BakeInput): Promise<BakeResult> => bakeRelease(deps, input),

    /** `tugboat rollback` of a release that ended: what to undo, from the record and rollback manifest (or why not). */
    loadRollbackRelease: (input: LoadRollbackReleaseInput): Promise<RollbackReleasePlan> => loadRollbackRelease(deps, input),
  };
}

export type TugboatActivities = ReturnType<typeof createActivities>;
