/**
 * The deployment's progress as the queries return it. Mutated only by the parent workflow, in
 * response to child events, so it is deterministic and rebuilt identically on replay.
 */
import type {
  DeploymentPhase,
  DeploymentProgress,
  DeploymentResult,
  OperatorRequest,
  ResourceRef,
  ServiceError,
  ServiceProgress,
  ServiceState,
  ServiceSteps,
} from '../api/progress';
import type { ServiceWorkflowResult } from '../api/workflow-types';
import type { Manifest } from '../manifest/schema';
import { dependenciesSucceeded, type Plan } from '../plan';

/** Refused operator requests kept in progress; later ones are only counted. */
export const MAX_IGNORED_REQUESTS = 50;
/** Accepted ones kept (pause/resume pairs from the Web UI could otherwise grow it without end). */
export const MAX_ACCEPTED_REQUESTS = 200;

export class ProgressTracker {
  private readonly progress: DeploymentProgress;

  constructor(
    deploymentId: string,
    manifest: Manifest,
    private readonly plan: Plan,
    startedAt: string,
  ) {
    const spec = manifest.deployment;
    const services: Record<string, ServiceProgress> = {};
    for (const s of spec.services) {
      services[s.name] = {
        name: s.name,
        type: s.type,
        state: 'PENDING',
        wave: plan.waveOf[s.name],
        dependencies: s.dependencies,
        version: s.version,
        outputs: {},
        resources: [],
      };
    }
    this.progress = {
      deploymentId,
      name: spec.name,
      environment: spec.environment,
      phase: 'VALIDATING',
      execution: spec.strategy.execution,
      maxParallel: spec.strategy.max_parallel,
      startedAt,
      waves: plan.waves,
      criticalPath: plan.criticalPath,
      services,
      orphans: [],
      retained: [],
      requests: [],
    };
  }

  get phase(): DeploymentPhase {
    return this.progress.phase;
  }

  set phase(phase: DeploymentPhase) {
    this.progress.phase = phase;
  }

  /** The mutable record behind the queries, for the parts the rollback and operator code own. */
  get data(): DeploymentProgress {
    return this.progress;
  }

  setState(name: string, state: ServiceState, error?: ServiceError): void {
    const service = this.service(name);
    service.state = state;
    if (error) service.error = error;
  }

  resourcesOf(name: string): ResourceRef[] {
    return this.service(name).resources;
  }

  cancelled(name: string): void {
    Object.assign(this.service(name), { state: 'CANCELLED', endedAt: now() });
  }

  record(request: Omit<OperatorRequest, 'at'>): void {
    // Anyone who can signal could otherwise grow progress (and the workflow's result) past
    // Temporal's payload limit with refused requests: keep the first ones, count the rest.
    const ignored = this.progress.requests.filter((r) => r.outcome === 'ignored').length;
    if (request.outcome === 'ignored' && ignored >= MAX_IGNORED_REQUESTS) {
      this.progress.ignoredRequestsNotRecorded = (this.progress.ignoredRequestsNotRecorded ?? 0) + 1;
      return;
    }
    if (request.outcome === 'accepted' && this.progress.requests.length - ignored >= MAX_ACCEPTED_REQUESTS) {
      this.progress.acceptedRequestsNotRecorded = (this.progress.acceptedRequestsNotRecorded ?? 0) + 1;
      return;
    }
    this.progress.requests.push({ ...request, at: now() });
  }

  private service(name: string): ServiceProgress {
    return this.progress.services[name];
  }

  started(name: string, workflowId: string): void {
    Object.assign(this.service(name), { state: 'RUNNING', startedAt: now(), workflowId });
  }

  succeeded(name: string, result: ServiceWorkflowResult): void {
    Object.assign(this.service(name), {
      state: result.unchanged ? 'UNCHANGED' : 'SUCCEEDED',
      endedAt: now(),
      outputs: result.outputs,
      resources: result.resources,
    });
    this.stepEnded(name, result.steps);
  }

  failed(name: string, error: ServiceError, steps?: ServiceSteps): void {
    Object.assign(this.service(name), { state: 'FAILED', endedAt: now(), error });
    this.stepEnded(name, steps);
  }

  /** Keeps how many attempts each ended step spent (and why the last failed), after it ended. */
  stepEnded(name: string, steps: ServiceSteps | undefined): void {
    if (!steps || Object.keys(steps).length === 0) return;
    const service = this.service(name);
    service.steps = { ...service.steps, ...steps };
  }

  /** Services whose dependencies are done but that wait for a slot (or for their wave); `held` are left as they are. */
  markWaiting(succeeded: ReadonlySet<string>, held: ReadonlySet<string>): void {
    for (const name of this.plan.order) {
      if (held.has(name)) continue;
      this.service(name).state = dependenciesSucceeded(this.plan, name, succeeded) ? 'WAITING' : 'PENDING';
    }
  }

  /** After a stop: whatever never started is SKIPPED, naming why. */
  skipUnstarted(started: ReadonlySet<string>, stopReason: string): void {
    for (const s of Object.values(this.progress.services)) {
      // A rejected approval failed without starting; a failure policy's skip already said why.
      if (started.has(s.name) || s.state === 'FAILED' || s.state === 'SKIPPED') continue;
      const failedUpstream = this.plan.upstream[s.name].find((dep) => this.service(dep).state === 'FAILED');
      s.state = 'SKIPPED';
      s.error = {
        type: 'Skipped',
        message: failedUpstream
          ? `not deployed: depends on ${failedUpstream}, which failed`
          : `not deployed: the deployment stopped (${stopReason})`,
      };
    }
  }

  finish(endedAt: string): void {
    this.progress.endedAt = endedAt;
  }

  snapshot(): DeploymentProgress {
    return { ...this.progress };
  }

  result(): DeploymentResult {
    const services: DeploymentResult['services'] = {};
    for (const s of Object.values(this.progress.services)) {
      services[s.name] = { state: s.state, outputs: s.outputs, error: s.error };
    }
    const { deploymentId, error, rollback, orphans, retained, failed, skipped } = this.progress;
    return { deploymentId, phase: this.phase, services, error, rollback, orphans, retained, ...(failed ? { failed, skipped } : {}) };
  }
}

const now = () => new Date().toISOString();
