/**
 * Nothing a user writes can wedge a deployment, on a real server: a value Temporal would refuse
 * ends the deployment with a message naming the manifest field (however the run was started);
 * a compensation retries under its own policy; verify waits for a converging service; a run
 * started by hand (no client plan) is validated and planned once, in a recorded activity; and
 * every step's attempts stay in progress after the step ended.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { progressQuery } from '../../src/api/messages';
import { TUGBOAT_DEPLOYMENT } from '../../src/api/search-attributes';
import { FailureTypes, type DeploymentInput } from '../../src/api/workflow-types';
import { newDeploymentId } from '../../src/client/deployment-id';
import { decidedPart, planOrThrow } from '../../src/plan';
import { deploymentWorkflow } from '../../src/workflows';
import { failedResult } from '../support/failures';
import { callsOf, useWorld, waitForProgress, type World } from '../support/world';
import { waitFor } from '../support/wait';

/** Starts the workflow directly, as `temporal workflow start` or an older client would. */
async function startRaw(world: World, environment: string, input: Omit<DeploymentInput, 'deploymentId'>) {
  const deploymentId = newDeploymentId();
  const handle = await world.client.workflow.start(deploymentWorkflow, {
    workflowId: `${world.name}-${environment}`,
    taskQueue: world.taskQueue,
    args: [{ deploymentId, ...input }],
    typedSearchAttributes: [{ key: TUGBOAT_DEPLOYMENT, value: deploymentId }],
  });
  return { handle, deploymentId };
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause as ApplicationFailure;
}

describe('nothing a user writes can wedge a deployment', () => {
  const world = useWorld('wedge');

  it('a hand-started run with an interval above its cap fails at once, naming the field, in the recorded decide activity', async () => {
    const raw = {
      deployment: {
        name: world.name,
        environment: 'raw',
        services: [{ name: 'api', type: 'shell', retry: { initial_interval: '2m' }, simulate: { duration: '10ms' } }],
      },
    };
    const { handle } = await startRaw(world, 'raw', { manifest: raw as never });
    const failure = await failureOf(handle.result());
    expect(failure.type).toBe(FailureTypes.manifest);
    expect(failure.message).toMatch(/deployment\.services\[0\]\.retry\.initial_interval: "2m" is longer than maximum_interval/);
    // Decided in an activity (recorded), not in workflow code.
    const history = await handle.fetchHistory();
    const scheduled = history.events!.filter((e) => e.activityTaskScheduledEventAttributes);
    expect(scheduled.map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name)).toEqual(['decideDeployment']);
  });

  it('an input that bypassed validation (an older client) ends FAILED with the field named, never stuck in DEPLOYING', async () => {
    const manifest = world.manifest([{ name: 'api', type: 'shell', simulate: { duration: '10ms' } }], { environment: 'bypass' });
    const plan = decidedPart(planOrThrow(manifest));
    // What used to wedge: ValueError from the SDK on every workflow task of the child.
    manifest.deployment.services[0].retry.initial_interval = '2m';
    const { handle } = await startRaw(world, 'bypass', { manifest, plan });
    const { result } = await failedResult(handle.result());
    expect(result.phase).toBe('ROLLED_BACK');
    expect(result.services.api).toMatchObject({
      state: 'ROLLED_BACK',
      error: {
        type: FailureTypes.manifest,
        message: expect.stringMatching(/^deployment\.services\[name=api\]\.retry: RetryPolicy\.maximumInterval cannot be less than its initialInterval/),
      },
    });
  });

  it('a compensation retries under rollback_retry, not the apply policy: a short outage needs no operator', async () => {
    const manifest = world.manifest(
      [
        // One apply attempt, but the rollback may take five.
        {
          name: 'db',
          type: 'terraform',
          retry: { max_attempts: 1 },
          rollback_retry: { max_attempts: 5, initial_interval: '300ms', maximum_interval: '300ms', jitter: false },
          simulate: { duration: '10ms' },
        },
        { name: 'app', type: 'kubernetes', dependencies: ['db'], simulate: { duration: '10ms', fail_permanent: true } },
      ],
      { environment: 'rollback-retry' },
    );
    await world.cloud.setOverride('db', { fail_compensation: true });
    try {
      const { handle, deploymentId } = await world.deploy(manifest);
      // The first compensation attempt failed; the outage ends before the policy runs out.
      await waitFor(
        async () =>
          callsOf(await world.cloud.calls(), 'db', 'compensate').some((c) => c.deploymentId === deploymentId && c.outcome === 'transient_error'),
        { what: "db's first compensation to fail" },
      );
      await world.cloud.clearOverride('db');
      const { result } = await failedResult(handle.result());
      expect(result.phase).toBe('ROLLED_BACK');
      expect(result.services.db.state).toBe('ROLLED_BACK');
      const progress = await handle.query(progressQuery);
      expect(progress.services.db.steps?.compensate?.attempts).toBeGreaterThanOrEqual(2);
      expect(progress.services.db.steps?.compensate?.lastFailure).toMatch(/simulated compensation failure/);
    } finally {
      await world.cloud.clearOverride('db');
    }
  });

  it('verify probes a converging service until it is healthy, within verify_timeout', async () => {
    const manifest = world.manifest(
      [{ name: 'web', type: 'kubernetes', verify_timeout: '30s', simulate: { duration: '10ms', unhealthy_probes: 2 } }],
      { environment: 'converge' },
    );
    const { handle, deploymentId } = await world.deploy(manifest);
    const result = await handle.result();
    expect(result.phase).toBe('SUCCEEDED');
    const probes = callsOf(await world.cloud.calls(), 'web', 'verify').filter((c) => c.deploymentId === deploymentId);
    expect(probes.map((c) => c.outcome)).toEqual(['unhealthy', 'unhealthy', 'verified']);
    // One verify attempt: probing is not retrying.
    expect((await handle.query(progressQuery)).services.web.steps?.verify?.attempts).toBe(1);
  });

  it('verify gives up when verify_timeout passes, and the service fails as unhealthy', async () => {
    const manifest = world.manifest(
      [{ name: 'web', type: 'kubernetes', verify_timeout: '1500ms', simulate: { duration: '10ms', unhealthy_probes: 1000 } }],
      { environment: 'never-healthy' },
    );
    const { handle, deploymentId } = await world.deploy(manifest);
    const { result } = await failedResult(handle.result());
    expect(result.services.web.error).toMatchObject({ type: FailureTypes.unhealthy, message: expect.stringMatching(/still unhealthy after \d+ probes/) });
    const probes = callsOf(await world.cloud.calls(), 'web', 'verify').filter((c) => c.deploymentId === deploymentId);
    expect(probes.length).toBeGreaterThanOrEqual(2);
  });

  it('keeps attempts per step after the step ended', async () => {
    const manifest = world.manifest(
      [{ name: 'api', type: 'shell', retry: { initial_interval: '50ms', jitter: false }, simulate: { duration: '10ms', fail_transient: 2 } }],
      { environment: 'attempts' },
    );
    const { handle } = await world.deploy(manifest);
    expect((await handle.result()).phase).toBe('SUCCEEDED');
    const progress = await waitForProgress(handle, (p) => p.services.api.steps?.apply !== undefined, 'apply attempts recorded');
    expect(progress.services.api.steps).toEqual({
      apply: { attempts: 3, lastFailure: expect.stringMatching(/simulated transient failure 2 of 2/) },
      verify: { attempts: 1 },
    });
  });
});
