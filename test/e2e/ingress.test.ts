/**
 * The Redis ingress against the machine's real Redis and the suite's real Temporal server: tasks
 * pushed onto a list become deployments run by an ordinary worker (the world's), and each gets one
 * result at tasks:result:<id> and on tasks:results — completed with outputs, failed with the failed
 * services, failed naming the problem for a malformed task, and one deployment for a task
 * delivered twice (even with a changed body: the first deployment's result is never overwritten,
 * and is published again if its key is gone). Cancelling a task ends its workflow cancelled without
 * claiming the deployment ended. The ingress runs in-process here (events observable); the kill
 * between take and start, which needs a real process, is in ingress-crash.test.ts; stopping,
 * re-driving and two ingresses on one queue are in ingress-lifecycle.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { ServiceInput } from '../../src/manifest/schema';
import { TUGBOAT_DEPLOYMENT } from '../../src/api/search-attributes';
import { ingressWorkflowId } from '../../src/api/workflow-ids';
import { DEPLOYMENT_ID_PATTERN } from '../../src/client/deployment-id';
import { describeEvent, resultKey, type IngressEvent, type RunningIngress } from '../../src/ingress';
import { malformedTaskId } from '../../src/ingress/task';
import { callsOf, useWorld } from '../support/world';
import { testEnv } from '../support/temporal-env';
import { waitFor } from '../support/wait';
import { messagesFor, startTestIngress, task, useRedis } from '../ingress/support';

describe('Redis ingress', () => {
  const world = useWorld('ingress');
  const t = useRedis(() => `${world.name}:pending`);
  const events: IngressEvent[] = [];
  let ingress: RunningIngress;
  let connection: NativeConnection;

  beforeAll(async () => {
    connection = await NativeConnection.connect({ address: testEnv().address });
    ingress = await startTestIngress(world, connection, events, { keys: t.keys });
  });
  afterAll(async () => {
    await ingress?.stop();
    await connection?.close();
  });

  const eventsOf = (id: string) => events.filter((e) => 'id' in e && e.id === id);
  const deployment = (environment: string, services: unknown[]) => ({ name: world.name, environment, services });
  const settled = async () => {
    await waitFor(async () => (await t.list(t.keys.pending)).length === 0 && (await t.list(t.keys.processing)).length === 0, {
      timeoutMs: 30_000,
      what: 'the pending and processing lists to empty',
    });
  };

  it('deploys a pushed task and publishes a completed result with each service\'s outcome and outputs', async () => {
    const id = `${world.name}-ok`;
    await t.push(
      task(
        id,
        deployment('ok', [
          { name: 'vpc', type: 'terraform', simulate: { duration: '10ms' } },
          { name: 'app', type: 'kubernetes', dependencies: ['vpc'], config: { vpc: '${{ services.vpc.outputs.vpc_id }}' }, simulate: { duration: '10ms' } },
        ]),
      ),
    );
    const result = await t.waitForResult(id);
    expect(result).toMatchObject({
      id,
      status: 'completed',
      phase: 'SUCCEEDED',
      workflowId: `deploy-${world.name}.ok`,
      failed: [],
      services: {
        vpc: { state: 'SUCCEEDED', outputs: { vpc_id: expect.stringMatching(/^vpc-/) } },
        app: { state: 'SUCCEEDED', outputs: { url: `http://app.apps.sim.local` } },
      },
    });
    expect(result.deploymentId).toMatch(DEPLOYMENT_ID_PATTERN);
    expect(result.summary).toBe(`deployed ${world.name}/ok: 2 service(s) up (deployment ${result.deploymentId})`);
    expect(result.error).toBeUndefined();
    // The same JSON on the channel (subscribed before the push).
    await waitFor(() => messagesFor(t, id).length === 1, { what: 'the result on the channel' });
    expect(messagesFor(t, id)).toEqual([result]);
    await settled();
    expect(eventsOf(id).map((e) => e.kind)).toEqual(['taken', 'started', 'removed']);
    // A deployment like any other: the environment's lock ID, its search attributes, its requester.
    const description = await world.client.workflow.getHandle(`deploy-${world.name}.ok`).describe();
    expect(description.typedSearchAttributes.get(TUGBOAT_DEPLOYMENT)).toBe(result.deploymentId);
    expect(await world.client.workflow.getHandle(ingressWorkflowId(id)).result()).toEqual(result);
  });

  it('publishes a failed result naming the failed service when the deployment fails and rolls back', async () => {
    const id = `${world.name}-bad`;
    // This one through manifest_path, YAML on disk, as a producer on the same host would.
    const file = path.join(world.stateDir, 'bad.yaml');
    fs.writeFileSync(
      file,
      [
        'deployment:',
        `  name: ${world.name}`,
        '  environment: bad',
        '  services:',
        '    - { name: base, type: terraform, simulate: { duration: 10ms } }',
        '    - { name: db, type: terraform, dependencies: [base], simulate: { duration: 10ms, fail_permanent: true } }',
        '',
      ].join('\n'),
    );
    await t.push(JSON.stringify({ id, manifest_path: file }));
    const result = await t.waitForResult(id);
    expect(result).toMatchObject({
      id,
      status: 'failed',
      phase: 'ROLLED_BACK',
      failed: ['db'],
      // db failed (its error says so) and was compensated like base: both ROLLED_BACK.
      services: { base: { state: 'ROLLED_BACK' }, db: { state: 'ROLLED_BACK', error: expect.stringMatching(/^apply: /) } },
      error: expect.stringMatching(/^db failed: /),
    });
    expect(result.summary).toMatch(new RegExp(`^${world.name}/bad ROLLED_BACK: db failed: .*; failed: db \\(deployment dep-`));
    await waitFor(() => messagesFor(t, id).length === 1, { what: 'the result on the channel' });
    await settled();
  });

  it('publishes a partial result with the failed and skipped services under on_failure: continue', async () => {
    const id = `${world.name}-partial`;
    await t.push(
      JSON.stringify({
        id,
        manifest: {
          deployment: {
            ...deployment('partial', [
              { name: 'web', type: 'kubernetes', simulate: { duration: '10ms' } },
              { name: 'db', type: 'terraform', simulate: { duration: '10ms', fail_permanent: true } },
              { name: 'api', type: 'kubernetes', dependencies: ['db'], simulate: { duration: '10ms' } },
            ]),
            strategy: { on_failure: 'continue' },
          },
        },
      }),
    );
    const result = await t.waitForResult(id);
    expect(result).toMatchObject({
      id,
      status: 'partial',
      phase: 'PARTIAL',
      failed: ['db'],
      skipped: ['api'],
      services: { web: { state: 'SUCCEEDED' }, db: { state: 'FAILED' }, api: { state: 'SKIPPED' } },
    });
    expect(result.summary).toBe(`${world.name}/partial partly deployed: 1 of 3 service(s) up; failed: db; skipped: api (deployment ${result.deploymentId})`);
    await settled();
  });

  it('answers failed, starting nothing, when the environment is locked by a deployment started from the CLI', async () => {
    const id = `${world.name}-locked`;
    const service = `${world.name}-locked-api`;
    const services: ServiceInput[] = [{ name: service, type: 'kubernetes', simulate: { duration: '10ms' } }];
    const running = await world.startHeld(service, 'apply', () => world.deploy(world.manifest(services, { environment: 'locked' })));
    await t.push(task(id, deployment('locked', services)));
    const result = await t.waitForResult(id);
    expect(result).toMatchObject({ id, status: 'failed', services: {}, failed: [], workflowId: `deploy-${world.name}.locked` });
    expect(result.error).toBe(
      `environment ${world.name}/locked is locked: another deployment (workflow deploy-${world.name}.locked) is running; nothing was started. ` +
        `Push the task again under a new id once it has finished (\`tugboat status ${world.name}/locked\`)`,
    );
    await world.cloud.release(service, 'apply');
    expect((await running.handle.result()).phase).toBe('SUCCEEDED');
    // Only the CLI's deployment touched the cloud.
    expect(new Set(callsOf(await world.cloud.calls(), service, 'apply').map((c) => c.deploymentId))).toEqual(new Set([running.deploymentId]));
    await settled();
  });

  it('gives each malformed task a failed result naming the problem, and drops none', async () => {
    const notJson = 'deploy the shop, please';
    const noId = JSON.stringify({ manifest_path: '/srv/shop.yaml' });
    const cycleId = `${world.name}-cycle`;
    const cycle = task(
      cycleId,
      deployment('cycle', [
        { name: 'a', type: 'kubernetes', dependencies: ['b'], simulate: {} },
        { name: 'b', type: 'kubernetes', dependencies: ['a'], simulate: {} },
      ]),
    );
    const bothId = `${world.name}-both`;
    const both = JSON.stringify({ id: bothId, manifest: 'x: 1', manifest_path: '/srv/shop.yaml' });
    await t.push(notJson, noId, cycle, both);

    const [a, b, c, d] = await Promise.all([t.waitForResult(malformedTaskId(notJson)), t.waitForResult(malformedTaskId(noId)), t.waitForResult(cycleId), t.waitForResult(bothId)]);
    expect(a).toMatchObject({ status: 'failed', error: expect.stringMatching(/^task: not JSON/), services: {}, failed: [] });
    expect(b).toMatchObject({ status: 'failed', error: expect.stringMatching(/^task\.id: missing; give every task a unique id/) });
    expect(c).toMatchObject({ id: cycleId, status: 'failed', error: 'task.manifest: deployment.services: cycle: a → b → a (each depends on the next); remove one of these dependencies' });
    expect(d).toMatchObject({ id: bothId, status: 'failed', error: 'task.manifest / task.manifest_path: give exactly one (got both)' });
    for (const r of [a, b, c, d]) expect(r.summary).toBe(`task ${r.id} failed: ${r.error}`);
    await settled();
    // Nothing was started for any of them.
    for (const id of [cycleId, bothId]) {
      await expect(world.client.workflow.getHandle(ingressWorkflowId(id)).describe()).rejects.toThrow(/not found/i);
    }
  });

  it('starts one deployment for a task delivered twice, removes both copies, publishes one result; a third delivery finds it done', async () => {
    const id = `${world.name}-dup`;
    const service = `${world.name}-dup-api`;
    const raw = task(id, deployment('dup', [{ name: service, type: 'kubernetes', simulate: { duration: '10ms' } }]));
    // Held in the cloud, the deployment is provably still running when the second copy arrives.
    await world.cloud.hold(service, 'apply');
    await t.push(raw, raw);
    await waitFor(() => eventsOf(id).filter((e) => e.kind === 'removed').length === 2, { timeoutMs: 30_000, what: 'both copies to be removed' });
    expect(eventsOf(id).map((e) => e.kind)).toEqual(['taken', 'started', 'removed', 'taken', 'duplicate', 'removed']);
    expect(eventsOf(id).filter((e) => e.kind === 'removed')).toEqual([expect.objectContaining({ count: 1 }), expect.objectContaining({ count: 1 })]);
    await settled();
    await world.cloud.release(service, 'apply');

    const result = await t.waitForResult(id);
    expect(result.status).toBe('completed');
    await world.client.workflow.getHandle(ingressWorkflowId(id)).result();
    const applies = callsOf(await world.cloud.calls(), service, 'apply');
    expect(new Set(applies.map((c) => c.deploymentId))).toEqual(new Set([result.deploymentId]));
    expect(applies.filter((c) => c.outcome === 'created')).toHaveLength(1);
    await waitFor(() => messagesFor(t, id).length > 0, { what: 'the result on the channel' });
    expect(messagesFor(t, id)).toEqual([result]);

    await t.push(raw);
    await waitFor(() => eventsOf(id).filter((e) => e.kind === 'removed').length === 3, { what: 'the third copy to be removed' });
    expect(eventsOf(id).slice(6).map((e) => e.kind)).toEqual(['taken', 'already-done', 'removed']);
    expect(JSON.parse((await t.redis.get(`tasks:result:${id}`))!)).toEqual(result);
  });

  it('never overwrites a running task\'s result with the rejection of a changed, broken redelivery of its id', async () => {
    const id = `${world.name}-redelivered`;
    const service = `${world.name}-redelivered-api`;
    await world.cloud.hold(service, 'apply');
    await t.push(task(id, deployment('redelivered', [{ name: service, type: 'kubernetes', simulate: { duration: '10ms' } }])));
    const started = await waitFor(() => eventsOf(id).find((e) => e.kind === 'started'), { what: 'the task to start' });
    // The same id again, its body now broken (no manifest) and then invalid (a cycle).
    const cyclic = deployment('redelivered', [
      { name: 'a', type: 'kubernetes', dependencies: ['b'], simulate: {} },
      { name: 'b', type: 'kubernetes', dependencies: ['a'], simulate: {} },
    ]);
    await t.push(JSON.stringify({ id }), task(id, cyclic));
    await waitFor(() => eventsOf(id).filter((e) => e.kind === 'removed').length === 3, { timeoutMs: 30_000, what: 'all three copies to be removed' });
    expect(eventsOf(id).map((e) => e.kind)).toEqual(['taken', 'started', 'removed', 'taken', 'duplicate', 'removed', 'taken', 'duplicate', 'removed']);
    // The duplicate names the deployment the first copy started (read from the workflow).
    const duplicate = eventsOf(id).find((e) => e.kind === 'duplicate')!;
    expect(duplicate).toEqual({ kind: 'duplicate', id, workflowId: ingressWorkflowId(id), status: 'RUNNING', deploymentId: (started as { deploymentId: string }).deploymentId });
    expect(describeEvent(duplicate, t.keys)).toBe(
      `duplicate ${id}: workflow ${ingressWorkflowId(id)} already exists (running, deployment ${(started as { deploymentId: string }).deploymentId}), nothing new started`,
    );
    expect(await t.redis.exists(resultKey(t.keys, id))).toBe(0);

    await world.cloud.release(service, 'apply');
    const result = await t.waitForResult(id);
    expect(result).toMatchObject({ id, status: 'completed', deploymentId: (started as { deploymentId: string }).deploymentId });
    await waitFor(() => messagesFor(t, id).length > 0, { what: 'the result on the channel' });
    expect(messagesFor(t, id)).toEqual([result]);
  });

  it('publishes a closed task\'s result again when a redelivery finds its result key gone', async () => {
    const id = `${world.name}-evicted`;
    const raw = task(id, deployment('evicted', [{ name: 'api', type: 'kubernetes', simulate: { duration: '10ms' } }]));
    await t.push(raw);
    const result = await t.waitForResult(id);
    await settled();
    // Closed (publishing is its last step, so it may still be running when the result appears).
    expect(await world.client.workflow.getHandle(ingressWorkflowId(id)).result()).toEqual(result);
    // Deleted (or evicted by maxmemory); the producer pushes the task again to hear back.
    await t.redis.del(resultKey(t.keys, id));
    await t.push(raw);
    const again = await t.waitForResult(id, 30_000);
    expect(again).toEqual(result);
    expect(eventsOf(id).slice(3).map((e) => e.kind)).toEqual(['taken', 'duplicate', 'republished', 'removed']);
    expect(eventsOf(id)[4]).toMatchObject({ status: 'COMPLETED', deploymentId: result.deploymentId });
    await waitFor(() => messagesFor(t, id).length === 2, { what: 'the result on the channel twice' });
    expect(messagesFor(t, id)).toEqual([result, result]);
  });

  it('ends a cancelled task\'s workflow cancelled, answering that the task was cancelled while its deployment may still run', async () => {
    const id = `${world.name}-cancel`;
    const service = `${world.name}-cancel-api`;
    await world.cloud.hold(service, 'apply');
    await t.push(task(id, deployment('cancel', [{ name: service, type: 'kubernetes', simulate: { duration: '10ms' } }])));
    await world.cloud.waitUntilHeld(service, 'apply');
    const { deploymentId } = (await waitFor(() => eventsOf(id).find((e) => e.kind === 'started'), { what: 'the task to start' })) as { deploymentId: string };
    const taskHandle = world.client.workflow.getHandle(ingressWorkflowId(id));
    await taskHandle.cancel();

    const failure = await taskHandle.result().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect((await taskHandle.describe()).status.name).toBe('CANCELLED');
    const result = await t.waitForResult(id);
    const deploymentWorkflowId = `deploy-${world.name}.cancel`;
    const cancelledError =
      `the task was cancelled before its deployment ended; deployment ${deploymentId} (workflow ${deploymentWorkflowId}) may still be running ` +
      `and is not reported here: see \`tugboat status ${deploymentId}\``;
    expect(result).toMatchObject({ id, status: 'failed', deploymentId, workflowId: deploymentWorkflowId, services: {}, error: cancelledError });
    // The deployment was abandoned, not stopped: it goes on, and ends on its own.
    const deploymentHandle = world.client.workflow.getHandle(deploymentWorkflowId);
    expect((await deploymentHandle.describe()).status.name).toBe('RUNNING');
    await world.cloud.release(service, 'apply');
    expect((await deploymentHandle.result()).phase).toBe('SUCCEEDED');

    // Its result key gone, a redelivery publishes the same answer again.
    await t.redis.del(resultKey(t.keys, id));
    await t.push(task(id, deployment('cancel', [{ name: service, type: 'kubernetes', simulate: { duration: '10ms' } }])));
    const again = await t.waitForResult(id, 30_000);
    expect(again).toMatchObject({ id, status: 'failed', deploymentId, workflowId: deploymentWorkflowId, error: cancelledError });
    expect(eventsOf(id).filter((e) => e.kind === 'republished')).toEqual([{ kind: 'republished', id, workflowId: ingressWorkflowId(id), status: 'CANCELLED' }]);
  });
});
