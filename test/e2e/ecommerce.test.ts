/**
 * The seed's six-service release on a real Temporal server: dependency order, parallelism of
 * independent services, outputs handed to dependents.
 */
import { WorkflowHandle } from '@temporalio/client';
import type { ServiceInput } from '../../src/manifest/schema';
import { callsOf, useWorld, waitForProgress } from '../support/world';

const ecommerce = (fast = '50ms'): ServiceInput[] => [
  { name: 'vpc', type: 'terraform', simulate: { duration: fast } },
  {
    name: 'rds-database',
    type: 'terraform',
    dependencies: ['vpc'],
    config: { vpc_id: '${{ services.vpc.outputs.vpc_id }}' },
    simulate: { duration: fast },
  },
  { name: 'k8s-cluster', type: 'kubernetes', dependencies: ['vpc'], simulate: { duration: fast } },
  {
    name: 'backend-api',
    type: 'kubernetes',
    dependencies: ['k8s-cluster', 'rds-database'],
    config: { database_url: 'postgres://${{ services.rds-database.outputs.endpoint }}/shop' },
    simulate: { duration: fast },
  },
  { name: 'frontend-app', type: 'kubernetes', dependencies: ['k8s-cluster', 'backend-api'], simulate: { duration: fast } },
  { name: 'monitoring', type: 'monitoring', dependencies: ['k8s-cluster'], simulate: { duration: fast } },
];

describe('ecommerce deployment end to end', () => {
  const world = useWorld('ecommerce');

  it('starts each service only after its dependencies completed, runs rds-database and k8s-cluster at once, hands outputs on', async () => {
    // Hold both second-wave services: both must reach the cloud before either is released.
    await world.cloud.hold('rds-database', 'apply');
    await world.cloud.hold('k8s-cluster', 'apply');
    const { handle, deploymentId } = await world.deploy(world.manifest(ecommerce()));

    await world.cloud.waitUntilHeld('rds-database', 'apply');
    await world.cloud.waitUntilHeld('k8s-cluster', 'apply');
    const inFlight = await waitForProgress(handle, (p) => p.services['k8s-cluster'].state === 'RUNNING', 'both running');
    expect(inFlight.services['rds-database'].state).toBe('RUNNING');
    await world.cloud.release('rds-database', 'apply');
    await world.cloud.release('k8s-cluster', 'apply');

    const result = await handle.result();
    expect(result.phase).toBe('SUCCEEDED');
    expect(Object.values(result.services).map((s) => s.state)).toEqual(Array(6).fill('SUCCEEDED'));

    // Order from the cloud's sequence numbers: a dependent's first call arrives after every
    // dependency's verify completed.
    const calls = await world.cloud.calls();
    const spec = ecommerce();
    for (const service of spec) {
      const firstApply = callsOf(calls, service.name, 'apply')[0];
      expect(firstApply.deploymentId).toBe(deploymentId);
      for (const dep of service.dependencies ?? []) {
        const depVerify = callsOf(calls, dep, 'verify').at(-1)!;
        expect(firstApply.seq).toBeGreaterThan(depVerify.completedSeq!);
      }
    }

    // Outputs reached the dependent: the resolved reference is what the cloud received.
    const progress = await waitForProgress(handle, (p) => p.phase === 'SUCCEEDED', 'succeeded');
    const endpoint = progress.services['rds-database'].outputs.endpoint;
    expect(endpoint).toMatch(/rds-database/);
    const backend = await world.cloud.getService('backend-api');
    expect(backend?.config).toEqual({ database_url: `postgres://${endpoint}/shop` });
    expect(progress.services['backend-api'].resources).toHaveLength(1);
  });

  it('refuses a second deployment of the same environment while one runs', async () => {
    await world.cloud.hold('vpc', 'apply');
    const manifest = world.manifest(ecommerce(), { environment: 'locked' });
    const first = await world.deploy(manifest);
    await world.cloud.waitUntilHeld('vpc', 'apply');
    await expect(world.deploy(manifest)).rejects.toThrow(/already deploying \(dep-/);
    await world.cloud.release('vpc', 'apply');
    expect((await first.handle.result()).phase).toBe('SUCCEEDED');
    // Once the first closed, the environment is free again and the new run gets its own ID.
    const second = await world.deploy(manifest);
    expect(second.deploymentId).not.toBe(first.deploymentId);
    expect((await second.handle.result()).phase).toBe('SUCCEEDED');
  });
});

export type { WorkflowHandle };
