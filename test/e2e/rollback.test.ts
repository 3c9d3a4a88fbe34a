/**
 * The saga on a real server: a permanent failure stops the release, cancels what runs, and undoes
 * what was done in reverse dependency order, restoring previous versions, honouring `retain`,
 * and proving against the live inventory that nothing is orphaned.
 */
import type { ServiceInput } from '../../src/manifest/schema';
import type { CallRecord } from '../../src/simcloud';
import { callsOf, useWorld } from '../support/world';
import { failedResult } from '../support/failures';

const shop = (version: string, failing?: string): ServiceInput[] => {
  const svc = (name: string, type: ServiceInput['type'], dependencies: string[], extra: Partial<ServiceInput> = {}): ServiceInput => ({
    name,
    type,
    dependencies,
    version,
    simulate: { duration: '10ms', fail_permanent: name === failing },
    ...extra,
  });
  return [
    svc('vpc', 'terraform', []),
    svc('rds-database', 'terraform', ['vpc'], { on_rollback: 'retain' }),
    svc('k8s-cluster', 'kubernetes', ['vpc']),
    svc('backend-api', 'kubernetes', ['k8s-cluster', 'rds-database']),
    svc('frontend-app', 'kubernetes', ['k8s-cluster', 'backend-api']),
    svc('monitoring', 'monitoring', ['k8s-cluster']),
  ];
};

/** For every pair (service, its dependent) both compensated: the dependent was undone first. */
function expectReverseDependencyOrder(calls: CallRecord[], services: ServiceInput[], deploymentId: string): void {
  const compensations = calls.filter((c) => c.op === 'compensate' && c.deploymentId === deploymentId && c.completedSeq);
  const of = (name: string) => compensations.find((c) => c.service === name);
  let pairs = 0;
  for (const s of services) {
    for (const dep of s.dependencies ?? []) {
      const mine = of(s.name);
      const theirs = of(dep);
      if (!mine || !theirs) continue;
      expect(mine.completedSeq!).toBeLessThan(theirs.seq);
      pairs++;
    }
  }
  expect(pairs).toBeGreaterThan(0);
}

describe('rollback after a permanent failure', () => {
  const world = useWorld('rollback');

  it('skips dependents, cancels running siblings, undoes in reverse order, retains, leaves no orphans', async () => {
    const services = shop('v1', 'backend-api');
    // monitoring is applied but its verify is held: provably running when backend-api fails.
    await world.cloud.hold('monitoring', 'verify');
    const { handle, deploymentId } = await world.deploy(world.manifest(services, { environment: 'first' }));
    await world.cloud.waitUntilHeld('monitoring', 'verify');

    const { failure, result } = await failedResult(handle.result());
    await world.cloud.release('monitoring', 'verify');
    expect(failure.message).toMatch(/^backend-api failed: .*simulated permanent failure.*; rolled back$/);
    expect(result.phase).toBe('ROLLED_BACK');
    expect(result.services['frontend-app'].state).toBe('SKIPPED');
    expect(result.services['backend-api'].error?.type).toBe('PermanentDeployError');
    expect(result.services.monitoring.state).toBe('ROLLED_BACK');
    expect(result.services['rds-database'].state).toBe('RETAINED');
    // The retained database keeps the network it runs in.
    expect(result.services.vpc.state).toBe('RETAINED');
    expect(result.services['k8s-cluster'].state).toBe('ROLLED_BACK');
    expect(result.rollback?.state).toBe('DONE');
    // The order lists compensations that ran; the kept network is reported as retained instead.
    expect([...(result.rollback?.order ?? [])].sort()).toEqual(['backend-api', 'k8s-cluster', 'monitoring', 'rds-database']);
    expect(result.orphans).toEqual([]);
    expect(result.retained).toEqual([
      expect.objectContaining({ service: 'vpc', why: 'needed by rds-database' }),
      expect.objectContaining({ service: 'rds-database', why: 'on_rollback: retain' }),
    ]);

    const calls = await world.cloud.calls();
    // The running sibling's child was cancelled (and waited for) before its compensation.
    const child = await world.client.workflow.getHandle(`${deploymentId}.monitoring`).describe();
    expect(child.status.name).toBe('CANCELLED');
    expect(callsOf(calls, 'frontend-app', 'apply')).toHaveLength(0);
    expectReverseDependencyOrder(calls, services, deploymentId);

    // Against the live inventory: only the retained database and its network are left.
    const live = (await world.cloud.resources()).filter((r) => r.deploymentId === deploymentId);
    expect(live.map((r) => r.service).sort()).toEqual(['rds-database', 'vpc']);
    expect(callsOf(calls, 'vpc', 'compensate').filter((c) => c.deploymentId === deploymentId)).toEqual([]);
  });

  it('restores the previous versions when a later deployment fails', async () => {
    const v1 = await world.deploy(world.manifest(shop('v1'), { environment: 'second' }));
    expect((await v1.handle.result()).phase).toBe('SUCCEEDED');
    const before = await world.cloud.getService('k8s-cluster');

    const v2 = await world.deploy(world.manifest(shop('v2', 'frontend-app'), { environment: 'second' }));
    const { result } = await failedResult(v2.handle.result());
    expect(result.phase).toBe('ROLLED_BACK');
    expect(result.orphans).toEqual([]);

    const after = await world.cloud.getService('k8s-cluster');
    expect(after?.version).toBe('v1');
    expect(after?.resources.map((r) => r.id)).toEqual(before?.resources.map((r) => r.id));
    expect((await world.cloud.getService('backend-api'))?.version).toBe('v1');
    // Retained: the database keeps what v2 deployed, and so does the network it needs.
    expect((await world.cloud.getService('rds-database'))?.version).toBe('v2');
    expect((await world.cloud.getService('vpc'))?.version).toBe('v2');
    const restores = (await world.cloud.calls({ op: 'compensate' })).filter((c) => c.deploymentId === v2.deploymentId);
    expect(restores.find((c) => c.service === 'k8s-cluster')?.outcome).toBe('restored');
  });
});
