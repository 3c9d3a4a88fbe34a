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
} from '@temporalio/workflow';
import type { TugboatActivities } from '../activities';
import type { ContinueRollbackInput } from '../api/messages';
import { healthQuery, progressQuery } from '../api/messages';
import type { BakeProgress, DeploymentPhase, DeploymentResult, HealthReport, ServiceError, ServiceSteps, StopTrigger } from '../api/progress';
import { TUGBOAT_PHASE } from '../api/search-attributes';
import { FailureTypes, type DeploymentInput, type DeploymentScope, type ServiceWorkflowResult } from '../api/workflow-types';
import { formatIssues } from '../manifest/errors';
import { parseDuration, type ApprovalSpec, type DeploymentSpec, type Manifest, type NotifyEvent, type ServiceSpec } from '../manifest/schema';
import { completePlan, downstreamOf, nextServicesToStart, resolveReferences, validateAndPlan, type Plan } from '../plan';
import { describeFailure, stepsOfFailure } from './failures';
import { awaitApproval, type ApprovalDecision } from './approval-gate';
import { Notifier } from './notifier';
import { installOperatorHandlers } from './operator-handlers';
import { ProgressTracker } from './progress-tracker';
import { rollBack } from './rollback';
import { serviceWorkflow } from './service';
import { ActivityCancellation } from './activity-options';
import { childWorkflowOptions } from './child-options';
import { serviceTaskQueue } from './service-queue';
import { serviceSpecialty } from '../api/task-queues';
import { checkOrphans, recordDeployment } from './closing';

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
  /** After a failure held by rollback_strategy manual, or a halt: what the operator decided. */
  decision?: 'rollback' | 'cancel' | 'accept' | 'retry';
  awaitingDecision: boolean;
  continueRequests: ContinueRollbackInput[];
  /** Temporal's own cancellation was requested: whatever else happens, the workflow ends cancelled. */
  temporalCancelRequested: boolean;
  /** Set while an operator has the deployment paused. */
  paused?: { by?: string; reason?: string; at: string };
  /** on_failure: halt, after a failure: nothing starts until retry_service, rollback or accept. */
  halted: boolean;
  /** retry_service requests not yet acted on: named services, or every failed one. */
  retryRequests: Array<string[] | 'all-failed'>;
  /** approve / reject decisions not yet consumed by their service's approval gate. */
  approvalDecisions: Map<string, ApprovalDecision>;
  /** Bumped by every accepted control, so the scheduler looks again. */
  wake: number;
}

/** A run's state before anything happened; `stop` for a run that is a rollback from the start. */
export function newRunState(stop?: StopRequest): RunState {
  return {
    ...(stop ? { stop } : {}),
    awaitingDecision: false,
    continueRequests: [],
    temporalCancelRequested: false,
    halted: false,
    retryRequests: [],
    approvalDecisions: new Map(),
    wake: 0,
  };
}

export async function deploymentWorkflow(input: DeploymentInput): Promise<DeploymentResult> {
  const { manifest, plan } = await decide(input);
  const tracker = new ProgressTracker(input.deploymentId, manifest, plan, now());
  const health: HealthReport = { services: {}, deployment: [] };
  const state = newRunState();
  setHandler(progressQuery, () => tracker.snapshot());
  setHandler(healthQuery, () => health);
  installOperatorHandlers(state, tracker);

  // Everything below runs to completion even when Temporal cancels the workflow: a cancellation
  // becomes a stop request, and the rollback it starts must never be interrupted.
  return CancellationScope.nonCancellable(() => new DeploymentRun(input, manifest, plan, tracker, health, state).run());
}

/** Phases of the forward part, where the scheduler decides between them. */
const FORWARD_PHASES: readonly DeploymentPhase[] = ['DEPLOYING', 'PAUSED', 'HALTED'];

/** Phases that tell the manifest's `notify` subscribers something, and the event each is. */
const PHASE_EVENTS: Partial<Record<DeploymentPhase, NotifyEvent>> = {
  HALTED: 'halted',
  PARTIAL: 'partial',
  ROLLED_BACK: 'rolled_back',
  ROLLBACK_BLOCKED: 'rollback_blocked',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
};

class DeploymentRun {
  private readonly outputs: Record<string, Record<string, string>> = {};
  private readonly succeeded = new Set<string>();
  /** Services whose compensation is registered (a child was started for them): what a rollback undoes. */
  private readonly started = new Set<string>();
  /** Services the scheduler is done with for now: started in this round, failed or skipped. A retry takes them back. */
  private readonly launched = new Set<string>();
  private readonly failed = new Set<string>();
  /** Dependents of a failed service, under on_failure continue / rollback-subgraph. */
  private readonly skipped = new Set<string>();
  /** Services waiting at their approval gate, and those let through. */
  private readonly gating = new Set<string>();
  private readonly approved = new Set<string>();
  /** Failed services an operator retried while HALTED: they may start although the deployment is halted. */
  private readonly retrying = new Set<string>();
  private running = 0;
  /** Bumped whenever a service or a gate finishes: the scheduler looks again. */
  private changes = 0;
  private previous: Record<string, string> = {};
  private readonly notifier: Notifier;

  constructor(
    private readonly input: DeploymentInput,
    private readonly manifest: Manifest,
    private readonly plan: Plan,
    private readonly tracker: ProgressTracker,
    private readonly health: HealthReport,
    private readonly state: RunState,
  ) {
    // Inputs recorded before these fields existed have neither: an empty list, the old policy.
    this.notifier = new Notifier(manifest.deployment.notify ?? [], tracker);
    if (manifest.deployment.strategy.on_failure) tracker.data.onFailure = manifest.deployment.strategy.on_failure;
  }

  private get onFailure(): NonNullable<Manifest['deployment']['strategy']['on_failure']> {
    return this.manifest.deployment.strategy.on_failure ?? 'rollback';
  }

  private setPhase(phase: DeploymentPhase): void {
    if (this.tracker.phase === phase) return;
    this.tracker.phase = phase;
    // Upsert on phase changes only: each upsert is a history event.
    upsertSearchAttributes([{ key: TUGBOAT_PHASE, value: phase }]);
    const event = PHASE_EVENTS[phase];
    if (event) {
      const p = this.tracker.data;
      const why = p.error ? `: ${p.error}` : '';
      this.notifier.send({
        event,
        text: `${p.name}/${p.environment} ${phase}${why} (deployment ${p.deploymentId})`,
        fields: phase === 'PARTIAL' ? { failed: p.failed ?? [], skipped: p.skipped ?? [] } : undefined,
      });
    }
  }

  private requestStop(stop: StopRequest): void {
    this.state.stop ??= stop;
  }

  async run(): Promise<DeploymentResult> {
    this.setPhase('DEPLOYING');
    const prepared = await this.prepareRollback();
    if (!prepared) return this.end();

    for (;;) {
      await this.forward();
      if (!this.state.stop) return this.finishForward();
      this.tracker.skipUnstarted(this.started, this.state.stop.reason);
      if (this.state.stop.trigger !== 'failure') break;
      this.tracker.data.error = this.state.stop.reason;
      if (this.manifest.deployment.rollback_strategy !== 'manual') break;
      const decision = await this.rollbackDecided();
      if (decision === 'accept') return this.end();
      if (decision !== 'retry') break;
      this.retryAfterManualHold();
    }
    // Read after the decision: a manual cancel turns the failure's rollback into a cancellation.
    const stop = this.state.stop!;
    await rollBack(this.rollbackContext(this.started), stop.trigger, stop.reason);
    await this.checkOrphans(this.started);
    this.setPhase(this.state.stop?.trigger === 'cancel' ? 'CANCELLED' : 'ROLLED_BACK');
    return this.end();
  }

  /**
   * The forward phase, in its own cancellable scope: a stop cancels the running children (and
   * waits for them to acknowledge) without touching anything else.
   */
  private async forward(): Promise<void> {
    const forwardScope = new CancellationScope();
    const forward = forwardScope.run(() => this.deployAndCheck()).catch((err) => {
      if (!isCancellation(err)) throw err;
    });
    await Promise.race([forward, condition(() => this.state.stop !== undefined)]);
    if (this.state.stop) forwardScope.cancel();
    await forward;
    await condition(() => this.running === 0);
    // An accepted halt leaves approval gates open: close them (nothing they decide counts now).
    if (this.gating.size > 0) {
      forwardScope.cancel();
      await condition(() => this.gating.size === 0);
    }
  }

  /** No stop: everything succeeded, or a failure policy kept the rest going (PARTIAL). */
  private async finishForward(): Promise<DeploymentResult> {
    if (this.failed.size === 0 && this.skipped.size === 0) {
      this.setPhase('SUCCEEDED');
      return this.end();
    }
    this.tracker.skipUnstarted(
      this.launched,
      this.state.decision === 'accept' ? 'the halted deployment was accepted as it is' : 'the deployment ended with failed services',
    );
    const p = this.tracker.data;
    p.failed = [...this.failed].sort();
    p.skipped = Object.values(p.services).filter((s) => s.state === 'SKIPPED').map((s) => s.name).sort();
    if (this.onFailure === 'rollback-subgraph') {
      // Only what failed is undone (its dependents never started); independent branches stay.
      const failedStarted = new Set([...this.failed].filter((s) => this.started.has(s)));
      await rollBack(this.rollbackContext(failedStarted), 'failure', p.error ?? 'a service failed');
      await this.checkOrphans(failedStarted);
    }
    // Nothing delivered is not a partial delivery.
    this.setPhase(this.succeeded.size > 0 ? 'PARTIAL' : 'FAILED');
    return this.end();
  }

  private rollbackContext(registered: ReadonlySet<string>) {
    return {
      deploymentId: this.input.deploymentId,
      scope: this.scope(),
      manifest: this.manifest,
      plan: this.plan,
      tracker: this.tracker,
      registered,
      previous: this.previous,
      setPhase: (p: DeploymentPhase) => this.setPhase(p),
      continueRequests: this.state.continueRequests,
    };
  }

  /** What executors key their own state by; data only, so adding it changed no command. */
  private scope(): DeploymentScope {
    const { name, environment, strategy } = this.manifest.deployment;
    // Data for the step runner (the deployment's breaker and retry budget settings), not a command.
    return { name, environment, baseDir: this.input.baseDir, ...(strategy.resilience ? { resilience: strategy.resilience } : {}) };
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
        services: spec.services.map((s) => selfContainedSpec(s, spec)),
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
    if (this.state.stop || this.failed.size > 0 || this.skipped.size > 0) return;
    if (this.succeeded.size < this.plan.order.length) {
      this.requestStop({ trigger: 'failure', reason: 'no service could start: the plan and the scheduler disagree (a bug)' });
      return;
    }
    if (this.manifest.deployment.health_checks.length > 0) {
      this.setPhase('HEALTH_CHECKING');
      const failure = await runDeploymentHealthChecks(this.manifest, this.health);
      if (failure) this.requestStop({ trigger: 'failure', reason: failure });
    }
    if (this.state.stop) return;
    await this.bake();
  }

  /**
   * Starts services as their dependencies succeed, slots free up and gates open, until all ran
   * or a stop. Paused or halted, it starts nothing and waits for an operator.
   */
  private async deployServices(): Promise<void> {
    const strategy = this.manifest.deployment.strategy;
    for (;;) {
      if (this.state.stop) return;
      if (this.state.halted && this.state.decision === 'accept') return;
      this.takeRetryRequests();
      if (!this.state.paused) this.startReady(strategy);
      this.refreshForwardPhase();
      this.tracker.markWaiting(this.succeeded, new Set([...this.launched, ...this.gating, ...this.skipped]));
      if (this.running === 0 && this.gating.size === 0 && !this.state.halted) {
        const left = this.plan.order.some((s) => !this.succeeded.has(s) && !this.failed.has(s) && !this.skipped.has(s));
        // Paused with services left: wait for resume. Otherwise nothing more can happen.
        if (!left || !this.state.paused) return;
      }
      const seen = { changes: this.changes, wake: this.state.wake };
      await condition(() => this.changes !== seen.changes || this.state.wake !== seen.wake || this.state.stop !== undefined);
    }
  }

  /**
   * Starts what may start now. Gated services open their gate instead, without taking a slot, and
   * the choice is made again without them (only their branch waits). While HALTED, only services
   * an operator retried may start.
   */
  private startReady(strategy: Manifest['deployment']['strategy']): void {
    for (;;) {
      const held = new Set([...this.launched, ...this.gating, ...this.skipped]);
      const settled = new Set([...this.failed, ...this.skipped]);
      let ready = nextServicesToStart(this.plan, { succeeded: this.succeeded, started: held, running: this.running, settled }, strategy);
      if (this.state.halted) ready = ready.filter((name) => this.retrying.has(name));
      const gated = ready.filter((name) => {
        const gate = this.manifest.deployment.services.find((s) => s.name === name)!.approval;
        return gate?.required === true && !this.approved.has(name);
      });
      for (const name of gated) {
        this.gating.add(name);
        void this.openGate(name, this.manifest.deployment.services.find((s) => s.name === name)!.approval!);
      }
      if (gated.length > 0) continue;
      for (const name of ready) {
        // Registering the service as started is registering its compensation: it happens before
        // the child exists, so nothing it does can escape the rollback.
        this.started.add(name);
        this.launched.add(name);
        this.retrying.delete(name);
        this.running++;
        void this.runService(name);
      }
      return;
    }
  }

  /** DEPLOYING, PAUSED or HALTED, from the operator's state (only while in the forward part). */
  private refreshForwardPhase(): void {
    if (!FORWARD_PHASES.includes(this.tracker.phase)) return;
    this.tracker.data.paused = this.state.paused;
    this.setPhase(this.state.halted ? 'HALTED' : this.state.paused ? 'PAUSED' : 'DEPLOYING');
  }

  private async openGate(name: string, spec: ApprovalSpec): Promise<void> {
    try {
      const gate = await awaitApproval(
        { tracker: this.tracker, notifier: this.notifier, decisions: this.state.approvalDecisions, stopping: () => this.state.stop !== undefined },
        name,
        spec,
      );
      if (gate.outcome === 'approved') {
        this.approved.add(name);
        this.tracker.setState(name, 'WAITING');
      } else if (gate.outcome === 'rejected') {
        this.serviceFailed(name, { type: 'ApprovalRejected', message: gate.message });
      }
    } catch (err) {
      // A stop cancelled the gate's timer: the service never started and is skipped with the rest.
      if (!isCancellation(err)) throw err;
    } finally {
      this.gating.delete(name);
      this.changes++;
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
        args: [
          {
            deploymentId: this.input.deploymentId,
            service: resolved,
            deployment: this.scope(),
            taskQueue: serviceTaskQueue(service, this.manifest.deployment),
          },
        ],
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
        this.serviceFailed(name, describeFailure(err), stepsOfFailure(err));
      }
    } finally {
      this.running--;
      this.changes++;
    }
  }

  /** A service failed (its child, or its approval was rejected): the failure policy decides what follows. */
  private serviceFailed(name: string, error: ServiceError, steps?: ServiceSteps): void {
    this.tracker.failed(name, error, steps);
    const reason = `${name} failed: ${error.message}`;
    if (this.onFailure === 'rollback') {
      this.requestStop({ trigger: 'failure', reason });
      return;
    }
    this.failed.add(name);
    this.launched.add(name);
    this.tracker.data.error = reason;
    if (this.onFailure === 'halt') {
      this.state.halted = true;
      return;
    }
    // continue / rollback-subgraph: what depends on it can't run; everything else goes on.
    // The same services in the same order as filtering plan.order by upstream[s].includes(name),
    // without reading every service's transitive dependencies (O(N²), see lazyReachable).
    const downstream = downstreamOf(this.plan.dependents, name);
    downstream.delete(name);
    for (const dependent of this.plan.order.filter((s) => downstream.has(s))) {
      if (this.launched.has(dependent) || this.skipped.has(dependent)) continue;
      this.skipped.add(dependent);
      this.tracker.setState(dependent, 'SKIPPED', { type: 'Skipped', message: `not deployed: depends on ${name}, which failed` });
    }
  }

  /** Acts on retry_service requests under on_failure: halt: the named (or all) failed services run again. */
  private takeRetryRequests(): void {
    while (this.state.retryRequests.length > 0) {
      const request = this.state.retryRequests.shift()!;
      const names = request === 'all-failed' ? [...this.failed] : request.filter((s) => this.failed.has(s));
      for (const name of names) {
        this.forgetOutcome(name);
        this.retrying.add(name);
      }
    }
    if (this.state.halted && this.failed.size === 0) {
      this.state.halted = false;
      this.tracker.data.error = undefined;
    }
  }

  /** The service goes back to the scheduler, as if it had not run (its compensation stays registered). */
  private forgetOutcome(name: string): void {
    this.failed.delete(name);
    this.launched.delete(name);
    this.skipped.delete(name);
    const service = this.tracker.data.services[name];
    Object.assign(service, { state: 'PENDING', error: undefined, endedAt: undefined });
  }

  /** rollback_strategy manual, then retry: whatever did not succeed runs again. */
  private retryAfterManualHold(): void {
    for (const s of Object.values(this.tracker.data.services)) {
      if (!this.succeeded.has(s.name)) this.forgetOutcome(s.name);
    }
    this.state.retryRequests.length = 0;
    this.state.stop = undefined;
    this.state.decision = undefined;
    this.tracker.data.error = undefined;
    this.setPhase('DEPLOYING');
  }

  /** strategy.bake: watch health for a while after everything succeeded; a failing check rolls back. */
  private async bake(): Promise<void> {
    const window = this.manifest.deployment.strategy.bake;
    if (window === undefined) return;
    const durationMs = parseDuration(window);
    const startedAt = Date.now();
    const progress: BakeProgress = { state: 'RUNNING', startedAt: new Date(startedAt).toISOString(), until: new Date(startedAt + durationMs).toISOString() };
    this.tracker.data.bake = progress;
    this.setPhase('BAKING');
    const { bakeRelease } = proxyActivities<TugboatActivities>({
      summary: `bake ${window}: watch health`,
      startToCloseTimeout: durationMs + 5 * 60_000,
      // It beats every second: a short timeout lets a cancel (a rollback request) reach it soon.
      heartbeatTimeout: '10 seconds',
      // Probes only: nothing to wait for when a rollback request interrupts the window.
      cancellationType: ActivityCancellation.tryCancel,
      retry: { maximumAttempts: 3, initialInterval: '1 second' },
    });
    try {
      const result = await bakeRelease({
        deploymentId: this.input.deploymentId,
        durationMs,
        services: this.manifest.deployment.services,
        healthChecks: this.manifest.deployment.health_checks,
        deployment: this.scope(),
      });
      Object.assign(progress, { state: result.healthy ? 'PASSED' : 'FAILED', checks: result.checks, detail: result.detail });
      if (!result.healthy) this.requestStop({ trigger: 'failure', reason: `bake: ${result.detail ?? 'a health check failed'}` });
    } catch (err) {
      if (isCancellation(err)) {
        progress.state = 'INTERRUPTED';
        throw err;
      }
      const why = `could not watch health: ${describeFailure(err).message}`;
      Object.assign(progress, { state: 'FAILED', detail: why });
      this.requestStop({ trigger: 'failure', reason: `bake: ${why}` });
    }
  }

  /** rollback_strategy manual: hold the lock in FAILED until an operator decides. */
  private async rollbackDecided(): Promise<RunState['decision']> {
    this.setPhase('FAILED');
    this.state.awaitingDecision = true;
    this.tracker.data.awaitingDecision = true;
    await condition(() => this.state.decision !== undefined || this.state.temporalCancelRequested);
    this.state.awaitingDecision = false;
    this.tracker.data.awaitingDecision = false;
    const decision = this.state.decision ?? 'cancel';
    if (decision === 'accept' || decision === 'retry') return decision;
    this.state.stop = { ...this.state.stop!, trigger: decision === 'cancel' ? 'cancel' : 'failure' };
    return decision;
  }

  private async checkOrphans(compensated: ReadonlySet<string>): Promise<void> {
    const services = this.manifest.deployment.services.filter((s) => compensated.has(s.name));
    await checkOrphans(this.tracker, { deploymentId: this.input.deploymentId, services, deployment: this.scope() });
  }

  /** Records the end and closes the workflow the way its trigger asks. */
  private async end(): Promise<DeploymentResult> {
    this.tracker.finish(now());
    await this.notifier.drain();
    // Added after histories were recorded without it: old runs replay down the old path.
    if (patched(PATCH_DEPLOYMENT_RECORD)) await recordDeployment(this.tracker, { requestedBy: this.input.requestedBy });
    const result = this.tracker.result();
    await condition(allHandlersFinished);
    const stop = this.state.stop;
    if (this.state.temporalCancelRequested && this.tracker.phase !== 'SUCCEEDED') {
      throw new CancelledFailure(`cancelled: ${stop?.reason ?? 'Temporal cancellation requested'}`, [result]);
    }
    if (this.tracker.phase === 'SUCCEEDED' || this.tracker.phase === 'PARTIAL' || stop?.trigger === 'cancel' || stop?.trigger === 'rollback') {
      return result;
    }
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

/**
 * A service's spec with what the deployment decided for it folded in (its specialty queue, the
 * deployment's resilience settings), as kept in the rollback manifest: undoing the release later
 * (rollbackReleaseWorkflow, which has only these specs) routes and guards its compensations as
 * this deployment would. Unchanged when the deployment sets neither.
 */
export function selfContainedSpec(service: ServiceSpec, deployment: DeploymentSpec): ServiceSpec {
  let spec = service;
  if (!spec.task_queue && deployment.task_queues) spec = { ...spec, task_queue: serviceSpecialty(spec, deployment) };
  const shared = deployment.strategy.resilience;
  // Field by field, as effectiveResilience() reads them: the service's own values win.
  const own = spec.resilience;
  if (shared) {
    spec = {
      ...spec,
      resilience: {
        provider: own?.provider ?? shared.provider,
        breaker: { ...shared.breaker, ...own?.breaker },
        retry_budget: { ...shared.retry_budget, ...own?.retry_budget },
      },
    };
  }
  return spec;
}
