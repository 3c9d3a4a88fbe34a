/**
 * Faults: transient errors retried (attempts visible in status), and a bad manifest failing
 * before it touches the world. Permanent errors start a rollback: see rollback.test.ts.
 */
import { deploymentStatus } from '../../src/client/status';
import { deploymentWorkflow } from '../../src/workflows';
import { callsOf, useWorld } from '../support/world';
import { waitFor } from '../support/wait';
import { failureOf } from '../support/failures';

describe('faults', () => {
  const world = useWorld('faults');

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

  it('fails a hand-started workflow with a bad manifest before any call reaches the cloud', async () => {
    const before = (await world.cloud.calls()).length;
    const handle = await world.client.workflow.start(deploymentWorkflow, {
      workflowId: `${world.name}-bad-manifest`,
      taskQueue: world.taskQueue,
      args: [
        {
          deploymentId: 'dep-hand-started',
          manifest: {
            deployment: { name: 'x', environment: 'y', services: [{ name: 'a', type: 'shell', executor: 'simulated', dependencies: ['nope'] }] },
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
