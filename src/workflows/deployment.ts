/**
 * deploymentWorkflow: the parent. Validates and plans the manifest (the same pure code the CLI
 * runs), stores the rollback manifest before touching anything, starts one serviceWorkflow child
 * per service as soon as its dependencies succeeded and a slot is free, runs the deployment's
 * health checks, and — on a failure, a cancel or a rollback request — stops, cancels what runs
 * and undoes what was done (the saga, ./rollback.ts).
 *
 * Its workflow ID, deploy-<name>.<environment>, is the environment lock.
 */
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  allHandlersFinished,
  condition,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DeploymentRecord } from '../state/types';
import type { TugboatActivities } from '../activities';
import type { ContinueRollbackInput } from '../api/messages';
import { healthQuery, progressQuery } from '../api/messages';
import type { DeploymentPhase, DeploymentResult, HealthReport, StopTrigger } from '../api/progress';
import { TUGBOAT_PHASE } from '../api/search-attributes';
import { FailureTypes, type DeploymentInput, type DeploymentScope, type ServiceWorkflowResult } from '../api/workflow-types';
import { formatIssues } from '../manifest/errors';
import { parseDuration, type Manifest } from '../manifest/schema';
import { completePlan, nextServicesToStart, resolveReferences, validateAndPlan, type Plan } from '../plan';
import { describeFailure, stepsOfFailure } from './failures';
import { installOperatorHandlers } from './operator-handlers';
import { ProgressTracker } from './progress-tracker';
import { rollBack } from './rollback';
import { serviceWorkflow } from './service';
import { ActivityCancellation } from './activity-options';
import { childWorkflowOptions } from './child-options';

/** patched() IDs: each guards a change to the command sequence so older histories still replay. */
export const PATCH_DEPLOYMENT_RECORD = 'deployment-record-v1';
/** A hand-started run (no plan in its input) is validated and planned by an activity, not here. */
export const PATCH_DECIDE_IN_ACTIVITY = 'decide-in-activity-v1';

/** Why the deployment stops early; set once, by a failure or an operator. */
export interface StopRequest {
  trigger: StopTrigger;
  reason: string;
}

/** The run's mutable state, shared by the scheduler, the operator handlers and the rollback. */
export interface RunState {
  stop?: StopRequest;
  /** rollback_strategy manual, after a failure: what the operator decided. */
  decision?: 'rollback' | 'cancel' | 'accept';
  awaitingDecision: boolean;
  continueRequests: ContinueRollbackInput[];
  /** Temporal's own cancellation was requested: whatever else happens, the workflow ends cancelled. */
  temporalCancelRequested: boolean;
}

export async function deploymentWorkflow(input: DeploymentInput): Promise<DeploymentResult> {
  const { manifest, plan } = await decide(input);
  const tracker = new ProgressTracker(input.deploymentId, manifest, plan, now());
  const health: HealthReport = { services: {}, deployment: [] };
  const state: RunState = { awaitingDecision: false, continueRequests: [], temporalCancelRequested: false };
  setHandler(progressQuery, () => tracker.snapshot());
  setHandler(healthQuery, () => health);
  installOperatorHandlers(state, tracker);

  // Everything below runs to completion even when Temporal cancels the workflow: a cancellation
  // becomes a stop request, and the rollback it starts must never be interrupted.
  return CancellationScope.nonCancellable(() => new DeploymentRun(input, manifest, plan, tracker, health, state).run());
}

class DeploymentRun {
  private readonly outputs: Record<string, Record<string, string>> = {};
  private readonly succeeded = new Set<string>();
  private readonly started = new Set<string>();
  private running = 0;
  private previous: Record<string, string> = {};

  constructor(
    private readonly input: DeploymentInput,
    private readonly manifest: Manifest,
    private readonly plan: Plan,
    private readonly tracker: ProgressTracker,
    private readonly health: HealthReport,
    private readonly state: RunState,
  ) {}

  private setPhase(phase: DeploymentPhase): void {
    if (this.tracker.phase === phase) return;
    this.tracker.phase = phase;
    // Upsert on phase changes only: each upsert is a history event.
    upsertSearchAttributes([{ key: TUGBOAT_PHASE, value: phase }]);
  }

  private requestStop(stop: StopRequest): void {
    this.state.stop ??= stop;
  }

  async run(): Promise<DeploymentResult> {
    this.setPhase('DEPLOYING');
    const prepared = await this.prepareRollback();
    if (!prepared) return this.end();

    // The forward phase runs in its own cancellable scope: a stop cancels the running children
    // (and waits for them to acknowledge) without touching anything else.
    const forwardScope = new CancellationScope();
    const forward = forwardScope.run(() => this.deployAndCheck()).catch((err) => {
      if (!isCancellation(err)) throw err;
    });
    await Promise.race([forward, condition(() => this.state.stop !== undefined)]);
    if (this.state.stop) forwardScope.cancel();
    await forward;
    await condition(() => this.running === 0);

    if (!this.state.stop) {
      this.setPhase('SUCCEEDED');
      return this.end();
    }
    this.tracker.skipUnstarted(this.started, this.state.stop.reason);
    if (this.state.stop.trigger === 'failure') {
      this.tracker.data.error = this.state.stop.reason;
      if (this.manifest.deployment.rollback_strategy === 'manual' && !(await this.rollbackDecided())) return this.end();
    }
    // Read after the decision: a manual cancel turns the failure's rollback into a cancellation.
    const stop = this.state.stop;
    await rollBack(
      {
        deploymentId: this.input.deploymentId,
        scope: this.scope(),
        manifest: this.manifest,
        plan: this.plan,
        tracker: this.tracker,
        registered: this.started,
        previous: this.previous,
        setPhase: (p) => this.setPhase(p),
        continueRequests: this.state.continueRequests,
      },
      stop.trigger,
      stop.reason,
    );
    await this.checkOrphans();
    this.setPhase(this.state.stop?.trigger === 'cancel' ? 'CANCELLED' : 'ROLLED_BACK');
    return this.end();
  }

  /** What executors key their own state by; data only, so adding it changed no command. */
  private scope(): DeploymentScope {
    const { name, environment } = this.manifest.deployment;
    return { name, environment, baseDir: this.input.baseDir };
  }

  /** Stores every service's previous state; false (deployment FAILED, nothing touched) if it can't. */
  private async prepareRollback(): Promise<boolean> {
    const { prepareRollback } = proxyActivities<TugboatActivities>({
      summary: 'store the rollback manifest',
      startToCloseTimeout: '1 minute',
      heartbeatTimeout: '20 seconds',
      cancellationType: ActivityCancellation.wait,
      retry: { maximumAttempts: 3, initialInterval: '500 ms', nonRetryableErrorTypes: [FailureTypes.permanent] },
    });
    const spec = this.manifest.deployment;
    try {
      const result = await prepareRollback({
        deploymentId: this.input.deploymentId,
        name: spec.name,
        environment: spec.environment,
        services: spec.services,
        baseDir: this.input.baseDir,
      });
      this.previous = result.previous;
      this.tracker.data.rollbackManifest = result.location;
      return true;
    } catch (err) {
      this.tracker.data.error = `nothing was deployed: ${describeFailure(err).message}`;
      this.tracker.skipUnstarted(this.started, 'the rollback manifest could not be stored');
      this.setPhase('FAILED');
      return false;
    }
  }

  private async deployAndCheck(): Promise<void> {
    await this.deployServices();
    if (this.state.stop) return;
    if (this.succeeded.size < this.plan.order.length) {
      this.requestStop({ trigger: 'failure', reason: 'no service could start: the plan and the scheduler disagree (a bug)' });
      return;
    }
    if (this.manifest.deployment.health_checks.length === 0) return;
    this.setPhase('HEALTH_CHECKING');
    const failure = await runDeploymentHealthChecks(this.manifest, this.health);
    if (failure) this.requestStop({ trigger: 'failure', reason: failure });
  }

  /** Starts services as their dependencies succeed and slots free up, until all ran or a stop. */
  private async deployServices(): Promise<void> {
    const strategy = this.manifest.deployment.strategy;
    for (;;) {
      if (this.state.stop) return;
      const ready = nextServicesToStart(
        this.plan,
        { succeeded: this.succeeded, started: this.started, running: this.running },
        strategy,
      );
      for (const name of ready) {
        // Registering the service as started is registering its compensation: it happens before
        // the child exists, so nothing it does can escape the rollback.
        this.started.add(name);
        this.running++;
        void this.runService(name);
      }
      this.tracker.markWaiting(this.succeeded, this.started);
      if (this.running === 0) return;
      const before = this.running;
      await condition(() => this.running < before || this.state.stop !== undefined);
    }
  }

  private async runService(name: string): Promise<void> {
    const service = this.manifest.deployment.services.find((s) => s.name === name)!;
    const workflowId = `${this.input.deploymentId}.${name}`;
    this.tracker.started(name, workflowId);
    try {
      const resolved = { ...service, config: service.config && resolveReferences(service.config, this.outputs) };
      const result: ServiceWorkflowResult = await executeChild(serviceWorkflow, {
        ...childWorkflowOptions(this.input.deploymentId, service, this.manifest.deployment),
        args: [{ deploymentId: this.input.deploymentId, service: resolved, deployment: this.scope() }],
      });
      this.outputs[name] = result.outputs;
      this.succeeded.add(name);
      this.health.services[name] = { target: name, healthy: result.healthy, detail: result.healthDetail, checkedAt: now() };
      this.tracker.succeeded(name, result);
    } catch (err) {
      if (isCancellation(err)) {
        this.tracker.cancelled(name);
        // Cancelled by us as part of a stop, or by someone else (the Web UI on the child): the
        // latter must stop the deployment too, or its dependents would wait forever.
        this.requestStop({ trigger: 'failure', reason: `${name} was cancelled outside Tugboat` });
      } else {
        const error = describeFailure(err);
        this.tracker.failed(name, error, stepsOfFailure(err));
        this.requestStop({ trigger: 'failure', reason: `${name} failed: ${error.message}` });
      }
    } finally {
      this.running--;
    }
  }

  /** rollback_strategy manual: hold the lock in FAILED until an operator decides. */
  private async rollbackDecided(): Promise<boolean> {
    this.setPhase('FAILED');
    this.state.awaitingDecision = true;
    this.tracker.data.awaitingDecision = true;
    await condition(() => this.state.decision !== undefined || this.state.temporalCancelRequested);
    this.state.awaitingDecision = false;
    this.tracker.data.awaitingDecision = false;
    const decision = this.state.decision ?? 'cancel';
    if (decision === 'accept') return false;
    this.state.stop = { ...this.state.stop!, trigger: decision === 'cancel' ? 'cancel' : 'failure' };
    return true;
  }

  private async checkOrphans(): Promise<void> {
    const { findOrphans } = proxyActivities<TugboatActivities>({
      summary: 'check the live inventory for orphans',
      startToCloseTimeout: '1 minute',
      cancellationType: ActivityCancellation.tryCancel,
      retry: { maximumAttempts: 5, initialInterval: '1 second' },
    });
    const specs = this.manifest.deployment.services.filter((s) => this.started.has(s.name));
    try {
      const found = await findOrphans({
        deploymentId: this.input.deploymentId,
        services: specs,
        retainedResourceIds: this.tracker.data.retained.map((r) => r.id),
        deployment: this.scope(),
      });
      this.tracker.data.orphans = found.filter((o) => o.unverifiable === undefined);
      const unverifiable = found.flatMap((o) => (o.unverifiable === undefined ? [] : [{ service: o.service, reason: o.unverifiable }]));
      if (unverifiable.length > 0) this.tracker.data.unverifiable = unverifiable;
    } catch (err) {
      // The rollback itself is done; an unverifiable inventory is reported, not fatal.
      this.tracker.data.orphanCheckError = `could not check the live inventory: ${describeFailure(err).message}`;
    }
  }

  private async recordDeployment(): Promise<void> {
    const { recordDeployment } = proxyActivities<TugboatActivities>({
      summary: 'store the deployment record',
      startToCloseTimeout: '30 seconds',
      cancellationType: ActivityCancellation.wait,
      retry: { maximumAttempts: 5, initialInterval: '1 second' },
    });
    const p = this.tracker.snapshot();
    const services: DeploymentRecord['services'] = {};
    for (const s of Object.values(p.services)) {
      services[s.name] = { state: s.state, version: s.version, error: s.error?.message };
    }
    try {
      this.tracker.data.record = await recordDeployment({
        deploymentId: p.deploymentId,
        workflowId: workflowInfo().workflowId,
        name: p.name,
        environment: p.environment,
        phase: p.phase,
        startedAt: p.startedAt,
        endedAt: p.endedAt ?? now(),
        error: p.error,
        services,
        orphans: p.orphans,
        retained: p.retained,
        rollbackManifest: p.rollbackManifest,
      });
    } catch (err) {
      // The deployment's outcome stands; only its long-term record is missing, and progress says so.
      this.tracker.data.record = `not stored: ${describeFailure(err).message}`;
    }
  }

  /** Records the end and closes the workflow the way its trigger asks. */
  private async end(): Promise<DeploymentResult> {
    this.tracker.finish(now());
    // Added after histories were recorded without it: old runs replay down the old path.
    if (patched(PATCH_DEPLOYMENT_RECORD)) await this.recordDeployment();
    const result = this.tracker.result();
    await condition(allHandlersFinished);
    const stop = this.state.stop;
    if (this.state.temporalCancelRequested && this.tracker.phase !== 'SUCCEEDED') {
      throw new CancelledFailure(`cancelled: ${stop?.reason ?? 'Temporal cancellation requested'}`, [result]);
    }
    if (this.tracker.phase === 'SUCCEEDED' || stop?.trigger === 'cancel' || stop?.trigger === 'rollback') return result;
    throw ApplicationFailure.create({
      type: FailureTypes.deploymentFailed,
      message: failureMessage(this.tracker.phase, this.tracker.data.error),
      nonRetryable: true,
      details: [result],
    });
  }
}

function failureMessage(phase: DeploymentPhase, error: string | undefined): string {
  const why = error ?? 'failed';
  return phase === 'ROLLED_BACK' ? `${why}; rolled back` : why;
}

/**
 * The manifest and plan this run follows, decided once: by the client (recorded in the input), or
 * for a hand-started run by a first activity (recorded in its result). Runs recorded before
 * either existed decided here, in workflow code, and replay that way.
 */
async function decide(input: DeploymentInput): Promise<{ manifest: Manifest; plan: Plan }> {
  if (typeof input?.deploymentId !== 'string' || input.deploymentId.length === 0) {
    throw ApplicationFailure.nonRetryable('deploymentId is required', FailureTypes.manifest);
  }
  if (input.plan) {
    let plan: Plan | undefined;
    try {
      plan = completePlan(input.manifest, input.plan);
    } catch {
      // A hand-written input whose manifest is not the shape a client sends: a plain error here
      // would fail the workflow task forever.
      plan = undefined;
    }
    if (!plan) {
      throw ApplicationFailure.nonRetryable(
        'input.plan does not match input.manifest; start deployments with `tugboat deploy`, or omit plan to have the workflow plan it',
        FailureTypes.manifest,
      );
    }
    return { manifest: input.manifest, plan };
  }
  if (patched(PATCH_DECIDE_IN_ACTIVITY)) {
    const { decideDeployment } = proxyActivities<TugboatActivities>({
      summary: 'validate and plan the manifest',
      startToCloseTimeout: '30 seconds',
      cancellationType: ActivityCancellation.tryCancel,
      retry: { maximumAttempts: 3, initialInterval: '1 second', nonRetryableErrorTypes: [FailureTypes.manifest] },
    });
    // The run's identity goes along so the activity can preflight it too (an argument, not a command: replay-safe).
    const decided = await decideDeployment(input.manifest, { deploymentId: input.deploymentId, baseDir: input.baseDir }).catch((err: unknown) => {
      if (isCancellation(err)) throw err; // cancelled before it started: closes as cancelled
      // Close with the activity's own failure (an invalid manifest, its issues listed), not a wrapper.
      const { type, message } = describeFailure(err);
      throw ApplicationFailure.create({ type, message, nonRetryable: true, cause: err as Error });
    });
    return { manifest: decided.manifest, plan: completePlan(decided.manifest, decided.plan)! };
  }
  return validateInput(input);
}

/** How runs recorded before decide-once decided: in workflow code, with the rules of that time. */
function validateInput(input: DeploymentInput): { manifest: Manifest; plan: Plan } {
  const decided = validateAndPlan(input.manifest, { runnable: false });
  if (!decided.ok) {
    throw ApplicationFailure.nonRetryable(`invalid manifest:\n${formatIssues(decided.issues)}`, FailureTypes.manifest);
  }
  return { manifest: decided.manifest, plan: decided.plan };
}

/** Returns why the checks failed, or undefined when every endpoint answered as expected. */
async function runDeploymentHealthChecks(manifest: Manifest, health: HealthReport): Promise<string | undefined> {
  const results = await Promise.all(
    manifest.deployment.health_checks.map(async (check) => {
      const { checkEndpoint } = proxyActivities<TugboatActivities>({
        summary: `health ${check.endpoint}`,
        startToCloseTimeout: parseDuration(check.timeout) + 5_000,
        // A health probe has no side effect to wait for.
        cancellationType: ActivityCancellation.tryCancel,
        retry: { maximumAttempts: check.retries + 1, initialInterval: 1_000, backoffCoefficient: 2 },
      });
      try {
        return await checkEndpoint(check);
      } catch (err) {
        if (isCancellation(err)) throw err;
        return { target: check.endpoint, healthy: false, detail: describeFailure(err).message, checkedAt: now() };
      }
    }),
  );
  health.deployment = results;
  const bad = results.filter((r) => !r.healthy);
  if (bad.length === 0) return undefined;
  return `health check failed: ${bad.map((r) => `${r.target} (${r.detail ?? 'unhealthy'})`).join('; ')}`;
}

const now = () => new Date().toISOString();
