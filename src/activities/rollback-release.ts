/**
 * Rolling back a release that already ended (`tugboat rollback <id>` on a SUCCEEDED or PARTIAL
 * deployment): what to undo, decided from the state store — the deployment's record (which
 * services it changed) and its rollback manifest (each one's previous state and spec). The same
 * rules serve the client (to refuse before it starts anything) and the workflow's first activity
 * (the worker's store decides: it is the one the compensations read).
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../api/workflow-types';
import { ManifestError, formatIssues } from '../manifest/errors';
import { strategySchema, type Manifest, type ServiceSpec } from '../manifest/schema';
import { decidedPart, planOrThrow, type DecidedPlan } from '../plan';
import type { DeploymentRecord, IntentEntry, RollbackManifest } from '../state';
import type { ActivityDependencies } from '.';

/** Record states of the services a rollback of the release undoes: the ones it left changed (or confirmed). */
export const UNDONE_STATES: readonly string[] = ['SUCCEEDED', 'UNCHANGED'];
/** How a deployment must have ended for its release to be rolled back. */
export const ROLLBACKABLE_PHASES: readonly string[] = ['SUCCEEDED', 'PARTIAL'];

export interface LoadRollbackReleaseInput {
  targetDeploymentId: string;
}

/** What the rollback workflow runs: recorded in its history, so a replay never re-reads the store. */
export interface RollbackReleasePlan {
  targetDeploymentId: string;
  name: string;
  environment: string;
  /** How the target ended (SUCCEEDED or PARTIAL). */
  targetPhase: string;
  /** The services to undo, as the target was given them, dependencies narrowed to these services. */
  manifest: Manifest;
  plan: DecidedPlan;
  /** Per service, "absent" or "present at <version>" before the target: delete vs restore. */
  previous: Record<string, string>;
  /** Per service, the version a restore puts back (null: none known, or deleted). */
  previousVersions: Record<string, string | null>;
  /** Where the target's rollback manifest is, for the record. */
  rollbackManifest?: string;
  /** The target manifest's directory, when its rollback manifest recorded it. */
  baseDir?: string;
}

/** Why this release cannot be rolled back; the message says what to do instead. */
export class RollbackRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RollbackRefusal';
  }
}

/**
 * What rolling back the release `deploymentId` undoes, or a RollbackRefusal. Pure: the caller
 * reads the record, the rollback manifest and the intent ledger from its store (`where` names it).
 */
export function planRollbackRelease(
  deploymentId: string,
  found: { record?: DeploymentRecord; manifest?: RollbackManifest; intents: IntentEntry[] },
  where: string,
): RollbackReleasePlan {
  const { record, manifest } = found;
  if (!record) {
    throw new RollbackRefusal(
      `no deployment record of ${deploymentId} in ${where}: it has not ended yet, or this state store is not the one ` +
        "its worker wrote (the CLI and the workers must share TUGBOAT_HOME); a running deployment is rolled back with `tugboat rollback` while it runs",
    );
  }
  if (!ROLLBACKABLE_PHASES.includes(record.phase)) {
    const why =
      record.phase === 'ROLLED_BACK' || record.phase === 'CANCELLED'
        ? 'what it changed was already undone'
        : 'only a deployment that ended SUCCEEDED or PARTIAL left a release to undo';
    throw new RollbackRefusal(`${deploymentId} ended ${record.phase}: nothing to roll back (${why})`);
  }
  const names = Object.entries(record.services)
    .filter(([, s]) => UNDONE_STATES.includes(s.state))
    .map(([name]) => name);
  if (names.length === 0) throw new RollbackRefusal(`${deploymentId} left no service changed (none ${UNDONE_STATES.join(' or ')}): nothing to roll back`);
  if (!manifest) {
    throw new RollbackRefusal(
      `no rollback manifest of ${deploymentId} in ${where}: without each service's previous state a rollback would have to guess; ` +
        'redeploy the manifest you want instead',
    );
  }
  const withoutSpec = names.filter((n) => !manifest.services[n]?.spec);
  if (withoutSpec.length > 0) {
    throw new RollbackRefusal(
      `the rollback manifest of ${deploymentId} has no spec for ${withoutSpec.join(', ')} ` +
        '(it was written by a Tugboat from before rollbacks of finished releases): redeploy the manifest you want instead',
    );
  }
  const compensated = new Set(
    found.intents.filter((i) => i.step === 'compensate' && i.status === 'confirmed' && names.includes(i.service)).map((i) => i.service),
  );
  if (compensated.size === names.length) {
    // Compensations run under the release's own idempotency keys: a second run would be answered
    // from the first ("repeat") and change nothing, while reporting ROLLED_BACK.
    throw new RollbackRefusal(
      `${deploymentId} was already rolled back (${names.join(', ')} compensated, see tugboat history); ` +
        'rolling it back again would change nothing: deploy the versions you want instead',
    );
  }

  const kept = new Set(names);
  const specs: ServiceSpec[] = names.map((n) => {
    const spec = manifest.services[n].spec!;
    // What it depended on and is not undone (it failed, was skipped or already rolled back) is no part of this plan.
    return { ...spec, dependencies: spec.dependencies.filter((d) => kept.has(d)) };
  });
  const release: Manifest = {
    deployment: {
      name: record.name,
      environment: record.environment,
      // Only max_parallel matters to a rollback (its cap); the target's own is not kept: the default.
      strategy: strategySchema.parse({}),
      services: specs,
      rollback_strategy: 'automated',
      health_checks: [],
      notify: [],
    },
  };
  let plan: DecidedPlan;
  try {
    plan = decidedPart(planOrThrow(release));
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err;
    throw new RollbackRefusal(`the services of ${deploymentId} cannot be ordered for a rollback:\n${formatIssues(err.issues)}`);
  }
  const previous: Record<string, string> = {};
  const previousVersions: Record<string, string | null> = {};
  for (const n of names) {
    const state = manifest.services[n].previous;
    previous[n] = state ? `present at ${state.version ?? 'unknown version'}` : 'absent';
    previousVersions[n] = state?.version ?? null;
  }
  return {
    targetDeploymentId: deploymentId,
    name: record.name,
    environment: record.environment,
    targetPhase: record.phase,
    manifest: release,
    plan,
    previous,
    previousVersions,
    ...(record.rollbackManifest ? { rollbackManifest: record.rollbackManifest } : {}),
    ...(manifest.baseDir ? { baseDir: manifest.baseDir } : {}),
  };
}

/** The rollback workflow's first step: the worker's store decides what is undone (or why nothing can be). */
export async function loadRollbackRelease({ store }: ActivityDependencies, input: LoadRollbackReleaseInput): Promise<RollbackReleasePlan> {
  const id = input?.targetDeploymentId;
  if (typeof id !== 'string' || id.length === 0) {
    throw ApplicationFailure.create({ type: FailureTypes.rollbackManifest, message: 'targetDeploymentId is required', nonRetryable: true });
  }
  const [record, manifest, intents] = await Promise.all([store.getDeploymentRecord(id), store.getRollbackManifest(id), store.listIntents(id)]);
  try {
    return planRollbackRelease(id, { record, manifest, intents }, store.location);
  } catch (err) {
    if (!(err instanceof RollbackRefusal)) throw err;
    throw ApplicationFailure.create({ type: FailureTypes.rollbackManifest, message: err.message, nonRetryable: true });
  }
}
