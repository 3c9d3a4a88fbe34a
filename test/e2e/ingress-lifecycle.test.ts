/**
 * The ingress over its life, in-process against the real Redis and Temporal: two ingresses on one
 * task queue but different Redis databases each publish only their own tasks' results.
 */
import { NativeConnection } from '@temporalio/worker';
import { createClient } from 'redis';
import { ingressWorkflowId } from '../../src/api/workflow-ids';
import { ingressKeys, resultKey, startIngress, type IngressEvent, type IngressKeys, type IngressOptions, type RunningIngress } from '../../src/ingress';
import { testEnv } from '../support/temporal-env';
import { waitFor } from '../support/wait';
import { useWorld } from '../support/world';
import { otherDatabaseUrl, REDIS_URL, task, useRedis } from '../ingress/support';

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
    const ingress = await startIngress({
      redisUrl: REDIS_URL,
      taskQueue: world.taskQueue,
      client: world.client,
      connection,
      namespace: testEnv().namespace,
      log: () => undefined,
      onEvent: (event) => events.push(event),
      ...overrides,
    });
    running.push(ingress);
    return ingress;
  };
  const eventsOf = (id: string) => events.filter((e) => 'id' in e && e.id === id);
  const deployment = (environment: string, service: string) => ({
    name: world.name,
    environment,
    services: [{ name: service, type: 'kubernetes', simulate: { duration: '10ms' } }],
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
});
