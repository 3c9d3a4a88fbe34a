/**
 * rollbackReleaseWorkflow: undoes a release that already ended (`tugboat rollback <id>` on a
 * SUCCEEDED or PARTIAL deployment; the seed's `/rollback-deployment <id>`). It runs under the
 * environment's lock (workflow ID deploy-<name>.<environment>, like a deployment), reads what to
 * undo from the target's record and rollback manifest (an activity: the store is the worker's),
 * then runs the saga's compensation phase (./rollback.ts) over those services in reverse
 * dependency order — under the TARGET's deployment ID, since every executor recognises what it
 * changed, and the rollback manifest entry it restores, by that ID.
 *
 * It answers `progress` like a deployment (so status and watch work), takes continue_rollback
 * when a compensation blocks, and leaves a deployment record of its own (phase ROLLED_BACK) for
 * `tugboat history`.
 */
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { TugboatActivities } from '../activities';
import type { RollbackReleasePlan } from '../activities/rollback-release';
import { progressQuery } from '../api/messages';
import type { DeploymentPhase, DeploymentResult } from '../api/progress';
import { TUGBOAT_PHASE } from '../api/search-attributes';
import { FailureTypes, type DeploymentScope } from '../api/workflow-types';
import { completePlan, type Plan } from '../plan';
import { ActivityCancellation } from './activity-options';
import { checkOrphans, recordDeployment } from './closing';
import { newRunState, type RunState } from './deployment';
import { describeFailure } from './failures';
import { installOperatorHandlers } from './operator-handlers';
import { ProgressTracker } from './progress-tracker';
import { rollBack } from './rollback';

export interface RollbackReleaseInput {
  /** The deployment whose release is undone (it ended SUCCEEDED or PARTIAL). */
  targetDeploymentId: string;
  /** This rollback's own ID (dep-…): its progress, search attribute and record. */
  rollbackDeploymentId: string;
  /** Who asked (user@host) and why, for progress and the record. */
  by?: string;
  reason?: string;
  /** Where the target's config paths start; else what its rollback manifest recorded, else the worker's directory. */
  baseDir?: string;
}

export async function rollbackReleaseWorkflow(input: RollbackReleaseInput): Promise<DeploymentResult> {
  for (const field of ['targetDeploymentId', 'rollbackDeploymentId'] as const) {
    if (typeof input?.[field] !== 'string' || input[field].length === 0) {
      throw ApplicationFailure.nonRetryable(`${field} is required; start rollbacks with \`tugboat rollback <deployment>\``, FailureTypes.manifest);
    }
  }
  const startedAt = now();
  const release = await load(input.targetDeploymentId);
  const plan = completePlan(release.manifest, release.plan);
  if (!plan) throw ApplicationFailure.nonRetryable('the rollback plan does not match its services (a bug)', FailureTypes.manifest);

  const tracker = new ProgressTracker(input.rollbackDeploymentId, release.manifest, plan, startedAt);
  tracker.data.rollbackManifest = release.rollbackManifest;
  const reason =
    `rollback of ${input.targetDeploymentId} (ended ${release.targetPhase})` +
    `${input.by ? ` requested by ${input.by}` : ''}${input.reason ? `: ${input.reason}` : ''}`;
  // Already stopped by a rollback: the handlers refuse cancel and rollback with that reason, and
  // take continue_rollback once a compensation blocks.
  const state = newRunState({ trigger: 'rollback', reason });
  setHandler(progressQuery, () => tracker.snapshot());
  installOperatorHandlers(state, tracker);

  // A rollback is never left half-done: a cancellation is recorded (and refused), not obeyed.
  return CancellationScope.nonCancellable(() => new ReleaseRollback(input, release, plan, tracker, state, reason).run());
}

class ReleaseRollback {
  constructor(
    private readonly input: RollbackReleaseInput,
    private readonly release: RollbackReleasePlan,
    private readonly plan: Plan,
    private readonly tracker: ProgressTracker,
    private readonly state: RunState,
    private readonly reason: string,
  ) {}

  private setPhase(phase: DeploymentPhase): void {
    if (this.tracker.phase === phase) return;
    this.tracker.phase = phase;
    upsertSearchAttributes([{ key: TUGBOAT_PHASE, value: phase }]);
  }

  private scope(): DeploymentScope {
    const baseDir = this.input.baseDir ?? this.release.baseDir;
    return { name: this.release.name, environment: this.release.environment, ...(baseDir ? { baseDir } : {}) };
  }

  async run(): Promise<DeploymentResult> {
    await rollBack(
      {
        deploymentId: this.release.targetDeploymentId,
        scope: this.scope(),
        manifest: this.release.manifest,
        plan: this.plan,
        tracker: this.tracker,
        registered: new Set(this.plan.order),
        previous: this.release.previous,
        setPhase: (p) => this.setPhase(p),
        continueRequests: this.state.continueRequests,
      },
      'rollback',
      this.reason,
    );
    // What each service runs now: the version its restore put back.
    for (const s of Object.values(this.tracker.data.services)) {
      if (s.state === 'ROLLED_BACK') s.version = this.release.previousVersions[s.name] ?? undefined;
    }
    // What the target created that is still attributed to it after the compensations.
    await checkOrphans(this.tracker, {
      deploymentId: this.release.targetDeploymentId,
      services: this.release.manifest.deployment.services,
      deployment: this.scope(),
    });
    this.setPhase('ROLLED_BACK');
    this.tracker.finish(now());
    // The rollback's own record: `tugboat history` lists it with the versions it put back.
    await recordDeployment(this.tracker, { requestedBy: this.input.by });
    await condition(allHandlersFinished);
    return this.tracker.result();
  }

}

/** The target's record and rollback manifest, read once by an activity; a refusal ends the run FAILED. */
async function load(targetDeploymentId: string): Promise<RollbackReleasePlan> {
  const { loadRollbackRelease } = proxyActivities<TugboatActivities>({
    summary: `read what to undo of ${targetDeploymentId}`,
    startToCloseTimeout: '30 seconds',
    cancellationType: ActivityCancellation.tryCancel,
    retry: { maximumAttempts: 3, initialInterval: '1 second', nonRetryableErrorTypes: [FailureTypes.rollbackManifest] },
  });
  try {
    return await loadRollbackRelease({ targetDeploymentId });
  } catch (err) {
    upsertSearchAttributes([{ key: TUGBOAT_PHASE, value: 'FAILED' }]);
    if (isCancellation(err)) throw err;
    const { type, message } = describeFailure(err);
    throw ApplicationFailure.create({ type, message: `nothing was rolled back: ${message}`, nonRetryable: true, cause: err as Error });
  }
}

const now = () => new Date().toISOString();
