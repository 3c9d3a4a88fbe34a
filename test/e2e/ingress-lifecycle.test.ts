/**
 * The ingress over its life, in-process against the real Redis and Temporal: a clean stop gives
 * the task in hand back to the pending list; a running ingress re-drives what a dead one left in
 * the processing list without being restarted; two ingresses on one task queue but different
 * Redis databases each publish only their own tasks' results; and a stop is bounded even when
 * Redis stops answering in the middle of publishing a result (which Temporal then retries).
 */
import { temporal } from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { createClient } from 'redis';
import { ingressWorkflowId } from '../../src/api/workflow-ids';
import { ingressKeys, resultKey, type IngressEvent, type IngressKeys, type IngressOptions, type RunningIngress } from '../../src/ingress';
import { prepareTask } from '../../src/ingress/prepare';
import { startTaskWorkflow } from '../../src/ingress/start';
import { malformedTaskId, parseTask } from '../../src/ingress/task';
import { testEnv } from '../support/temporal-env';
import { waitFor } from '../support/wait';
import { useWorld } from '../support/world';
import { otherDatabaseUrl, startRedisProxy, startTestIngress, task, useRedis } from '../ingress/support';

describe('ingress lifecycle', () => {
  const world = useWorld('ingress-life');
  const t = useRedis(() => `${world.name}:pending`);
  const events: IngressEvent[] = [];
  const running: RunningIngress[] = [];
  const usedKeys: IngressKeys[] = [];
  let connection: NativeConnection;

  beforeAll(async () => {
    connection = await NativeConnection.connect({ address: testEnv().address });
  });
  afterEach(async () => {
    for (const ingress of running.splice(0)) await ingress.stop();
    for (const keys of usedKeys.splice(0)) await t.redis.del([keys.pending, keys.processing]);
  });
  afterAll(async () => {
    await connection?.close();
  });

  /** Each test takes from lists of its own, deleted afterwards. */
  const keysFor = (label: string) => {
    const keys = ingressKeys(`${world.name}:${label}:pending`);
    usedKeys.push(keys);
    return keys;
  };
  const start = async (overrides: Partial<IngressOptions> & { keys: IngressKeys }) => {
    const ingress = await startTestIngress(world, connection, events, overrides);
    running.push(ingress);
    return ingress;
  };
  const eventsOf = (id: string) => events.filter((e) => 'id' in e && e.id === id);
  const deployment = (environment: string, service: string) => ({
    name: world.name,
    environment,
    services: [{ name: service, type: 'kubernetes', simulate: { duration: '10ms' } }],
  });

  it('gives the task in hand back to the pending list when stopped before starting it', async () => {
    const keys = keysFor('give-back');
    const id = `${world.name}-give-back`;
    const raw = task(id, deployment('give-back', `${world.name}-give-back-api`));
    const first = await start({ keys, holdAfterTake: true });
    await t.redis.lPush(keys.pending, raw);
    await waitFor(() => eventsOf(id).some((e) => e.kind === 'taken'), { what: 'the task to be taken' });
    expect(await t.list(keys.processing)).toEqual([raw]);

    await first.stop();
    expect(await t.list(keys.processing)).toEqual([]);
    expect(await t.list(keys.pending)).toEqual([raw]);
    expect(eventsOf(id)).toEqual([
      { kind: 'taken', id, redriven: false },
      { kind: 'given-back', id, moved: true },
    ]);

    // The next ingress takes it from the pending list, as any task.
    await start({ keys });
    expect(await t.waitForResult(id)).toMatchObject({ id, status: 'completed' });
    expect(eventsOf(id)[2]).toEqual({ kind: 'taken', id, redriven: false });
  });

  it('re-drives, while running, a task a dead ingress left in the processing list', async () => {
    const keys = keysFor('redrive');
    const id = `${world.name}-orphan`;
    await start({ keys, redriveEveryMs: 250 });
    // Once it has taken a task from the pending list, its look at the processing list at start is over.
    const probe = `not a task (${world.name})`;
    await t.redis.lPush(keys.pending, probe);
    await t.waitForResult(malformedTaskId(probe));
    await waitFor(async () => (await t.list(keys.processing)).length === 0, { what: 'the probe to leave the processing list' });

    // An ingress that died between take and start left this one behind.
    await t.redis.lPush(keys.processing, task(id, deployment('orphan', `${world.name}-orphan-api`)));
    const result = await t.waitForResult(id, 30_000);
    expect(result).toMatchObject({ id, status: 'completed' });
    expect(events).toContainEqual({ kind: 'redrive', count: 1, periodic: true });
    expect(eventsOf(id).slice(0, 2)).toEqual([{ kind: 'taken', id, redriven: true }, expect.objectContaining({ kind: 'started' })]);
    await waitFor(async () => (await t.list(keys.processing)).length === 0, { what: 'the processing list to empty' });
  });

  it('publishes a result only into the Redis its task came from, though another ingress on the same task queue serves another', async () => {
    const keys = keysFor('here');
    const elsewhere = ingressKeys(`${world.name}:elsewhere:pending`);
    const otherRedis = createClient({ url: otherDatabaseUrl(), name: 'tugboat-ingress-test' });
    await otherRedis.connect();
    // Its own Temporal connection, as another process would have.
    const otherConnection = await NativeConnection.connect({ address: testEnv().address });
    let other: RunningIngress | undefined;
    const id = `${world.name}-here`;
    const service = `${world.name}-here-api`;
    try {
      const here = await start({ keys });
      other = await start({ redisUrl: otherDatabaseUrl(), keys: elsewhere, connection: otherConnection });
      expect(here.publisherQueue).toMatch(new RegExp(`^${world.taskQueue}-ingress-[0-9a-f]{12}$`));
      expect(other.publisherQueue).not.toBe(here.publisherQueue);

      await world.cloud.hold(service, 'apply');
      await t.redis.lPush(keys.pending, task(id, deployment('here', service)));
      await world.cloud.waitUntilHeld(service, 'apply');
      // Only the other ingress polls while the deployment ends: its result waits for one on this Redis and list.
      await here.stop();
      await world.cloud.release(service, 'apply');
      expect((await world.client.workflow.getHandle(`deploy-${world.name}.here`).result()).phase).toBe('SUCCEEDED');

      await start({ keys });
      expect(await t.waitForResult(id, 30_000)).toMatchObject({ id, status: 'completed' });
      await world.client.workflow.getHandle(ingressWorkflowId(id)).result();
      expect(await otherRedis.exists(resultKey(elsewhere, id))).toBe(0);
    } finally {
      await other?.stop();
      await otherConnection.close();
      await otherRedis.del([elsewhere.pending, elsewhere.processing, resultKey(elsewhere, id)]);
      await otherRedis.close();
    }
  });

  it('stops within its grace period though Redis stops answering mid-publication; Temporal retries the publication', async () => {
    const keys = keysFor('silent');
    const id = `${world.name}-silent`;
    const service = `${world.name}-silent-api`;
    const proxy = await startRedisProxy();
    try {
      const first = await start({ redisUrl: proxy.url, keys, stopGraceMs: 1_000 });
      await world.cloud.hold(service, 'apply');
      await t.redis.lPush(keys.pending, task(id, deployment('silent', service)));
      await world.cloud.waitUntilHeld(service, 'apply');
      await waitFor(() => eventsOf(id).some((e) => e.kind === 'removed'), { what: 'the task to be started and removed' });

      proxy.blackhole();
      await world.cloud.release(service, 'apply');
      // The deployment ends; its result's publication starts on this ingress and waits on the silent Redis.
      const handle = world.client.workflow.getHandle(ingressWorkflowId(id));
      await waitFor(
        async () =>
          (await handle.describe()).raw.pendingActivities?.some(
            (a) => a.activityType?.name === 'publishTaskResult' && a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
          ),
        { what: 'the result publication to be in flight' },
      );

      const began = Date.now();
      let stopped = false;
      void first.stop().then(() => (stopped = true));
      await waitFor(() => stopped, { timeoutMs: 20_000, what: 'the ingress to stop though Redis does not answer' });
      expect(Date.now() - began).toBeLessThan(10_000);

      proxy.heal();
      await start({ redisUrl: proxy.url, keys });
      expect(await t.waitForResult(id, 30_000)).toMatchObject({ id, status: 'completed' });
    } finally {
      await proxy.close();
    }
  });
});
