/**
 * The environment lock's workflow ID on a real server: `shop-api`→`prod` and `shop`→`api-prod`
 * are different locks and each `<name>/<environment>` finds its own deployment; deployments
 * started under the old `deploy-<name>-<environment>` ID are still found, and only by their own
 * name and environment.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { progressQuery } from '../../src/api/messages';
import { TUGBOAT_DEPLOYMENT, TUGBOAT_ENVIRONMENT } from '../../src/api/search-attributes';
import { legacyEnvironmentWorkflowId, newDeploymentId } from '../../src/client/deployment-id';
import { findDeployment } from '../../src/client/deployments';
import { DeploymentNotFoundError } from '../../src/client/errors';
import { deploymentStatus } from '../../src/client/status';
import type { Manifest } from '../../src/manifest/schema';
import { deploymentWorkflow } from '../../src/workflows';
import { useWorld, waitForProgress, type World } from '../support/world';

async function progressName(handle: WorkflowHandle): Promise<string> {
  const p = await handle.query(progressQuery);
  return `${p.name}/${p.environment} ${p.deploymentId}`;
}

/** What startDeployment did before the dot: the old ID, with or without the environment attribute. */
async function startLegacy(world: World, manifest: Manifest, opts: { environmentAttribute: boolean }) {
  const { name, environment } = manifest.deployment;
  const deploymentId = newDeploymentId();
  const handle = await world.client.workflow.start(deploymentWorkflow, {
    workflowId: legacyEnvironmentWorkflowId(name, environment),
    taskQueue: world.taskQueue,
    args: [{ deploymentId, manifest }],
    typedSearchAttributes: [
      { key: TUGBOAT_DEPLOYMENT, value: deploymentId },
      ...(opts.environmentAttribute ? [{ key: TUGBOAT_ENVIRONMENT, value: environment }] : []),
    ],
  });
  return { handle, deploymentId };
}

describe('the environment workflow ID', () => {
  const world = useWorld('wfid');
  afterEach(async () => {
    for (const h of await world.cloud.holds()) await world.cloud.release(h.service, h.op);
  });

  it('lets shop-api→prod and shop→api-prod deploy at the same time, each found by its own name/environment', async () => {
    // Both deployments hold one service's apply, so both are provably running at once.
    const first = world.manifest([{ name: 'one', type: 'shell', simulate: { duration: '10ms' } }], {
      name: `${world.name}-api`,
      environment: 'prod',
    });
    const second = world.manifest([{ name: 'two', type: 'shell', simulate: { duration: '10ms' } }], {
      name: world.name,
      environment: 'api-prod',
    });
    await world.cloud.hold('one', 'apply');
    await world.cloud.hold('two', 'apply');
    const a = await world.deploy(first);
    const b = await world.deploy(second); // the old ID refused this one: "already deploying"
    expect(a.workflowId).not.toBe(b.workflowId);
    await world.cloud.waitUntilHeld('one', 'apply');
    await world.cloud.waitUntilHeld('two', 'apply');

    expect(await progressName(await findDeployment(world.client, `${world.name}/api-prod`))).toBe(
      `${world.name}/api-prod ${b.deploymentId}`,
    );
    expect(await progressName(await findDeployment(world.client, `${world.name}-api/prod`))).toBe(
      `${world.name}-api/prod ${a.deploymentId}`,
    );

    await world.cloud.release('one', 'apply');
    await world.cloud.release('two', 'apply');
    expect((await a.handle.result()).phase).toBe('SUCCEEDED');
    expect((await b.handle.result()).phase).toBe('SUCCEEDED');
  });

  it('finds a deployment started under the old ID by its environment attribute, running or closed, and only by its own name', async () => {
    const manifest = world.manifest([{ name: 'old', type: 'shell', simulate: { duration: '10ms' } }], {
      name: `${world.name}-legacy-api`,
      environment: 'prod',
    });
    const { handle, deploymentId } = await world.startHeld('old', 'apply', () => startLegacy(world, manifest, { environmentAttribute: true }));

    const running = await findDeployment(world.client, `${world.name}-legacy-api/prod`);
    expect(running.workflowId).toBe(`deploy-${world.name}-legacy-api-prod`);
    const status = await deploymentStatus(world.client, running);
    expect(status).toMatchObject({ id: deploymentId, workflow_id: `deploy-${world.name}-legacy-api-prod`, phase: 'DEPLOYING' });
    // Same old ID, other name and environment: not this deployment.
    await expect(findDeployment(world.client, `${world.name}-legacy/api-prod`)).rejects.toBeInstanceOf(DeploymentNotFoundError);

    await world.cloud.release('old', 'apply');
    expect((await handle.result()).phase).toBe('SUCCEEDED');
    const closed = await findDeployment(world.client, `${world.name}-legacy-api/prod`);
    expect((await deploymentStatus(world.client, closed)).id).toBe(deploymentId);
    await expect(findDeployment(world.client, `${world.name}-legacy/api-prod`)).rejects.toBeInstanceOf(DeploymentNotFoundError);
  });

  it('a running deployment under the old ID still holds the lock for its own name and environment only', async () => {
    const manifest = world.manifest([{ name: 'held', type: 'shell', simulate: { duration: '10ms' } }], {
      name: `${world.name}-lock-api`,
      environment: 'prod',
    });
    const { handle, deploymentId } = await world.startHeld('held', 'apply', () => startLegacy(world, manifest, { environmentAttribute: true }));
    await expect(world.deploy(manifest)).rejects.toMatchObject({ name: 'EnvironmentLockedError', runningDeploymentId: deploymentId });
    // The other pair that shared the old ID is not locked by it.
    const other = world.manifest([{ name: 'free', type: 'shell', simulate: { duration: '10ms' } }], {
      name: `${world.name}-lock`,
      environment: 'api-prod',
    });
    const started = await world.deploy(other);
    expect((await started.handle.result()).phase).toBe('SUCCEEDED');
    await world.cloud.release('held', 'apply');
    expect((await handle.result()).phase).toBe('SUCCEEDED');
  });

  it('asks the progress query when an old-ID workflow has no environment attribute', async () => {
    const manifest = world.manifest([{ name: 'bare', type: 'shell', simulate: { duration: '10ms' } }], {
      name: `${world.name}-bare-api`,
      environment: 'prod',
    });
    const { handle, deploymentId } = await startLegacy(world, manifest, { environmentAttribute: false });
    await waitForProgress(handle, (p) => p.phase === 'SUCCEEDED', 'the old-ID deployment to succeed');

    const found = await findDeployment(world.client, `${world.name}-bare-api/prod`);
    expect((await deploymentStatus(world.client, found)).id).toBe(deploymentId);
    await expect(findDeployment(world.client, `${world.name}-bare/api-prod`)).rejects.toBeInstanceOf(DeploymentNotFoundError);
  });
});
