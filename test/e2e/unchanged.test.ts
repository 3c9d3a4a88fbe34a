/**
 * Desired state on a real server: redeploying an unchanged manifest makes no mutating call and no
 * ledger entry; bumping one version applies that service only; a changed config at the same version
 * applies that service, and its dependents only if what they are given changes.
 */
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import type { ApplyOutcome } from '../../src/api/workflow-types';
import type { ServiceInput } from '../../src/manifest/schema';
import { FileStateStore } from '../../src/state';
import { failedResult } from '../support/failures';
import { useWorld, type World } from '../support/world';

const SERVICES = ['vpc', 'orders-db', 'api'] as const;

const release = (versions: { vpc?: string; db?: string; api?: string } = {}, dbConfig: Record<string, unknown> = {}, failing?: string): ServiceInput[] => [
  { name: 'vpc', type: 'terraform', version: versions.vpc ?? 'v1', simulate: { duration: '10ms' } },
  {
    name: 'orders-db',
    type: 'terraform',
    version: versions.db ?? 'v1',
    dependencies: ['vpc'],
    config: { vpc_id: '${{ services.vpc.outputs.vpc_id }}', ...dbConfig },
    simulate: { duration: '10ms' },
  },
  {
    name: 'api',
    type: 'kubernetes',
    version: versions.api ?? 'v1',
    dependencies: ['orders-db'],
    // The database's endpoint does not change when the database is updated in place; its version does.
    config: { database: '${{ services.orders-db.outputs.endpoint }}', replicas: 2 },
    simulate: { duration: '10ms', fail_permanent: failing === 'api' },
  },
];

/** What each service's apply activity returned, read from its child workflow's history ('none': it did not complete). */
async function applyOutcomes(world: World, deploymentId: string): Promise<Record<string, ApplyOutcome['outcome'] | 'none'>> {
  const outcomes: Record<string, ApplyOutcome['outcome'] | 'none'> = {};
  for (const service of SERVICES) {
    const history = await world.client.workflow.getHandle(`${deploymentId}.${service}`).fetchHistory();
    const applyIds = new Set(
      (history.events ?? [])
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'applyService')
        .map((e) => String(e.eventId)),
    );
    const completed = (history.events ?? []).find((e) => applyIds.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId)));
    const payload = completed?.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
    outcomes[service] = payload ? defaultPayloadConverter.fromPayload<ApplyOutcome>(payload as never).outcome : 'none';
  }
  return outcomes;
}

describe('desired state: an unchanged redeploy changes nothing', () => {
  const world = useWorld('unchanged');

  async function deploy(services: ServiceInput[], phase = 'SUCCEEDED') {
    const { handle, deploymentId } = await world.deploy(world.manifest(services, { environment: 'prod' }));
    const result = phase === 'SUCCEEDED' ? await handle.result() : (await failedResult(handle.result())).result;
    expect(result.phase).toBe(phase);
    const calls = (await world.cloud.calls()).filter((c) => c.deploymentId === deploymentId);
    const mutated = (op: 'apply' | 'compensate') => calls.filter((c) => c.op === op).map((c) => c.service).sort();
    const intents = await new FileStateStore(path.join(world.stateDir, 'state')).listIntents(deploymentId);
    return { deploymentId, result, applied: mutated('apply'), compensated: mutated('compensate'), intents, outcomes: await applyOutcomes(world, deploymentId) };
  }

  it('deploys, redeploys with zero mutating calls, then applies only what a version bump or a config change touches', async () => {
    const first = await deploy(release());
    expect(first.applied).toEqual(['api', 'orders-db', 'vpc']);
    expect(first.outcomes).toEqual({ vpc: 'created', 'orders-db': 'created', api: 'created' });

    // The same manifest again: every service already runs its version with its config.
    const again = await deploy(release());
    expect(again.outcomes).toEqual({ vpc: 'unchanged', 'orders-db': 'unchanged', api: 'unchanged' });
    expect(again.applied).toEqual([]);
    expect(again.compensated).toEqual([]);
    expect(again.intents).toEqual([]);
    expect(SERVICES.map((s) => again.result.services[s].state)).toEqual(['UNCHANGED', 'UNCHANGED', 'UNCHANGED']);
    // Dependents were given the same outputs as the first time (which is why their config was unchanged).
    for (const service of SERVICES) expect(again.result.services[service].outputs).toEqual(first.result.services[service].outputs);

    // One version bumped: that service alone is applied.
    const bumped = await deploy(release({ api: 'v2' }));
    expect(bumped.applied).toEqual(['api']);
    expect(bumped.outcomes).toEqual({ vpc: 'unchanged', 'orders-db': 'unchanged', api: 'updated' });
    expect(SERVICES.map((s) => bumped.result.services[s].state)).toEqual(['UNCHANGED', 'UNCHANGED', 'SUCCEEDED']);
    expect(bumped.intents.map((i) => `${i.service}:${i.step}:${i.status}`)).toEqual(['api:apply:confirmed']);
    expect((await world.cloud.getService('api'))?.version).toBe('v2');

    // The database's config changes at the same version: it is applied; the api's own config (the
    // database's endpoint) is the same, so it is not.
    const reconfigured = await deploy(release({ api: 'v2' }, { instance_class: 'large' }));
    expect(reconfigured.applied).toEqual(['orders-db']);
    expect(reconfigured.outcomes).toEqual({ vpc: 'unchanged', 'orders-db': 'updated', api: 'unchanged' });

    // A release whose only change fails rolls back that change alone: the unchanged services had
    // nothing done to them, so nothing is undone.
    const broken = await deploy(release({ api: 'v3' }, { instance_class: 'large' }, 'api'), 'ROLLED_BACK');
    expect(broken.applied).toEqual(['api']);
    expect(broken.outcomes).toEqual({ vpc: 'unchanged', 'orders-db': 'unchanged', api: 'none' });
    expect(broken.compensated).toEqual(['api']);
    expect((await world.cloud.getService('api'))?.version).toBe('v2');
  });
});
