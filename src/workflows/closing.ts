/**
 * The last two steps of a deployment and of a release's rollback alike: check the live inventory
 * for orphans, and keep a deployment record beyond Temporal's retention. Both report into
 * progress and never fail the run: the outcome already stands.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { TugboatActivities } from '../activities';
import type { DeploymentScope } from '../api/workflow-types';
import type { ServiceSpec } from '../manifest/schema';
import type { DeploymentRecord } from '../state/types';
import { ActivityCancellation } from './activity-options';
import { describeFailure } from './failures';
import type { ProgressTracker } from './progress-tracker';

/** What `deploymentId` created among `services` that is still there and not retained. */
export async function checkOrphans(
  tracker: ProgressTracker,
  input: { deploymentId: string; services: ServiceSpec[]; deployment: DeploymentScope },
): Promise<void> {
  const { findOrphans } = proxyActivities<TugboatActivities>({
    summary: 'check the live inventory for orphans',
    startToCloseTimeout: '1 minute',
    cancellationType: ActivityCancellation.tryCancel,
    retry: { maximumAttempts: 5, initialInterval: '1 second' },
  });
  try {
    const found = await findOrphans({ ...input, retainedResourceIds: tracker.data.retained.map((r) => r.id) });
    tracker.data.orphans = found.filter((o) => o.unverifiable === undefined);
    const unverifiable = found.flatMap((o) => (o.unverifiable === undefined ? [] : [{ service: o.service, reason: o.unverifiable }]));
    if (unverifiable.length > 0) tracker.data.unverifiable = unverifiable;
  } catch (err) {
    // The rollback itself is done; an unverifiable inventory is reported, not fatal.
    tracker.data.orphanCheckError = `could not check the live inventory: ${describeFailure(err).message}`;
  }
}

/** Stores how the run ended (from its progress) and says where in progress, or why it could not. */
export async function recordDeployment(tracker: ProgressTracker, extra: { requestedBy?: string }): Promise<void> {
  const { recordDeployment: store } = proxyActivities<TugboatActivities>({
    summary: 'store the deployment record',
    startToCloseTimeout: '30 seconds',
    cancellationType: ActivityCancellation.wait,
    retry: { maximumAttempts: 5, initialInterval: '1 second' },
  });
  const p = tracker.snapshot();
  const services: DeploymentRecord['services'] = {};
  for (const s of Object.values(p.services)) {
    services[s.name] = { state: s.state, version: s.version, error: s.error?.message, startedAt: s.startedAt, endedAt: s.endedAt };
  }
  try {
    tracker.data.record = await store({
      deploymentId: p.deploymentId,
      workflowId: workflowInfo().workflowId,
      name: p.name,
      environment: p.environment,
      phase: p.phase,
      startedAt: p.startedAt,
      endedAt: p.endedAt ?? new Date().toISOString(),
      error: p.error,
      services,
      orphans: p.orphans,
      retained: p.retained,
      rollbackManifest: p.rollbackManifest,
      ...(extra.requestedBy ? { requestedBy: extra.requestedBy } : {}),
    });
  } catch (err) {
    // The outcome stands; only its long-term record is missing, and progress says so.
    tracker.data.record = `not stored: ${describeFailure(err).message}`;
  }
}
