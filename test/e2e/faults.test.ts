/**
 * Faults: transient errors retried (attempts visible in status), a permanent error fails the
 * deployment with its dependents SKIPPED, and a bad manifest fails before touching the world.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { deploymentStatus } from '../../src/client/status';
import { deploymentWorkflow } from '../../src/workflows';
import type { DeploymentResult } from '../../src/api/progress';
import { callsOf, createWorld, type World } from '../support/world';
import { waitFor } from '../support/wait';

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

describe('faults', () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld('faults');
  });
  afterAll(() => world?.close());

  it('retries transient errors with backoff and shows the attempt in status', async () => {
    const manifest = world.manifest(
      [{ name: 'flaky', type: 'terraform', retry: { max_attempts: 5, initial_interval: '200ms' }, simulate: { duration: '10ms', fail_transient: 2 } }],
      { environment: 'transient' },
    );
    // Attempt 1 is held, released (it fails), then attempt 2 is held: while it waits, status must
    // show RETRYING with the attempt number and the last failure.
    await world.cloud.hold('flaky', 'apply');
    const { handle, deploymentId } = await world.deploy(manifest);
    await world.cloud.waitUntilHeld('flaky', 'apply');
    await world.cloud.release('flaky', 'apply');
    await world.cloud.hold('flaky', 'apply');
    await world.cloud.waitUntilHeld('flaky', 'apply');
    const status = await waitFor(
      async () => {
        const s = await deploymentStatus(world.client, handle);
        return s.services.flaky.state === 'RETRYING' ? s : undefined;
      },
      { what: 'status to show RETRYING' },
    );
    expect(status.services.flaky.attempt).toBe(2);
    expect(status.services.flaky.last_failure).toMatch(/transient failure 1 of 2/);
    await world.cloud.release('flaky', 'apply');

    expect((await handle.result()).phase).toBe('SUCCEEDED');
    const outcomes = callsOf(await world.cloud.calls(), 'flaky', 'apply')
      .filter((c) => c.deploymentId === deploymentId)
      .map((c) => c.outcome);
    expect(outcomes).toEqual(['transient_error', 'transient_error', 'created']);
  });

  it('fails fast on a permanent error: dependents SKIPPED, running siblings finish, FAILED names the service', async () => {
    const manifest = world.manifest(
      [
        { name: 'base', type: 'terraform', simulate: { duration: '10ms' } },
        { name: 'api', type: 'kubernetes', dependencies: ['base'], simulate: { duration: '10ms', fail_permanent: true } },
        { name: 'web', type: 'kubernetes', dependencies: ['api'], simulate: { duration: '10ms' } },
        { name: 'metrics', type: 'monitoring', dependencies: ['base'], simulate: { duration: '10ms' } },
      ],
      { environment: 'permanent' },
    );
    // metrics runs beside api; hold it so it is provably still running when api fails.
    await world.cloud.hold('metrics', 'apply');
    const { handle, deploymentId } = await world.deploy(manifest);
    await world.cloud.waitUntilHeld('metrics', 'apply');
    await waitFor(async () => callsOf(await world.cloud.calls(), 'api', 'apply').some((c) => c.outcome === 'permanent_error'), {
      what: 'api to fail',
    });
    await world.cloud.release('metrics', 'apply');

    const failure = await failureOf(handle.result());
    expect(failure.type).toBe('DeploymentFailed');
    expect(failure.message).toMatch(/^api failed: .*simulated permanent failure/);
    const result = failure.details?.[0] as DeploymentResult;
    expect(result.services.api.state).toBe('FAILED');
    expect(result.services.api.error?.type).toBe('PermanentDeployError');
    expect(result.services.web.state).toBe('SKIPPED');
    expect(result.services.web.error?.message).toMatch(/depends on api/);
    expect(result.services.metrics.state).toBe('SUCCEEDED');
    // Permanent means one attempt: no retries reached the cloud.
    const apiApplies = callsOf(await world.cloud.calls(), 'api', 'apply').filter((c) => c.deploymentId === deploymentId);
    expect(apiApplies).toHaveLength(1);
    expect(callsOf(await world.cloud.calls(), 'web', 'apply')).toHaveLength(0);
  });

  it('fails a hand-started workflow with a bad manifest before any call reaches the cloud', async () => {
    const before = (await world.cloud.calls()).length;
    const handle = await world.client.workflow.start(deploymentWorkflow, {
      workflowId: `${world.name}-bad-manifest`,
      taskQueue: world.taskQueue,
      args: [
        {
          deploymentId: 'dep-hand-started',
          manifest: {
            deployment: { name: 'x', environment: 'y', services: [{ name: 'a', type: 'shell', dependencies: ['nope'] }] },
          } as never,
        },
      ],
    });
    const failure = await failureOf(handle.result());
    expect(failure.type).toBe('InvalidManifestError');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/deployment\.services\[0\]\.dependencies\[0\]: unknown service "nope"/);
    expect((await world.cloud.calls()).length).toBe(before);
  });
});
