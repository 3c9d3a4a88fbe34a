/**
 * The state store's connection reset in the middle of a transaction (found by the chaos suite,
 * seed 4: the state store down for 3 s while a circuit breaker's row was locked killed the worker
 * process with an unhandled 'error' event): the step fails with an error naming the store, the
 * process lives on, and once the database is reachable again the next transaction works on a
 * fresh connection.
 */
import { PgStateStore } from '../../src/state';
import type { ProviderHealth } from '../../src/api/resilience';
import { startStoreProxy, type StoreProxy } from '../../chaos/lib/store-proxy';
import { dropSchemas, TEST_POSTGRES_URL, uniqueSchema } from '../support/postgres';

const health = (provider: string, consecutiveFailures: number): ProviderHealth => ({
  provider,
  breaker: { state: 'closed', consecutiveFailures },
  budget: { windowStart: new Date(0).toISOString(), calls: 0, retries: 0, delayed: 0 },
  updatedAt: new Date(0).toISOString(),
});

describe('PostgreSQL state store: a connection reset mid-transaction', () => {
  const schema = uniqueSchema('reset');
  let proxy: StoreProxy;
  let store: PgStateStore;
  beforeAll(async () => {
    const url = new URL(TEST_POSTGRES_URL);
    proxy = await startStoreProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.host = `127.0.0.1:${proxy.port}`;
    store = await PgStateStore.open({ connectionString: url.toString(), schema });
  });
  afterAll(async () => {
    await store?.close();
    await proxy?.close();
    await dropSchemas(schema);
  });

  it('fails that transaction, keeps the process, and the next one succeeds', async () => {
    // The row is locked (SELECT … FOR UPDATE) when `update` runs: cut the connection right there.
    const cutMidTransaction = store.updateProviderHealth('chaos', () => {
      proxy.cut();
      return health('chaos', 1);
    });
    await expect(cutMidTransaction).rejects.toThrow(/state store/);
    // The reset reaches the driver as an 'error' event too; give it the turn of the event loop it needs.
    await new Promise((resolve) => setImmediate(resolve));

    proxy.restore();
    const next = await store.updateProviderHealth('chaos', (current) => health('chaos', (current?.breaker.consecutiveFailures ?? 0) + 1));
    expect(next.breaker.consecutiveFailures).toBe(1); // the cut transaction left nothing behind
    expect(await store.getProviderHealth('chaos')).toEqual(next);
  });
});
