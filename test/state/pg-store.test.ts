/**
 * What only the PostgreSQL backend has: migrations that workers starting together apply once, a
 * location without the password, and the connection pool's end.
 */
import { MIGRATIONS } from '../../src/state/pg/migrations';
import { PgStateStore, type StateStore } from '../../src/state';
import { dropSchemas, TEST_POSTGRES_URL, testTarget, uniqueSchema, withPostgres } from '../support/postgres';

describe('PostgreSQL state store', () => {
  const schemas: string[] = [];
  const stores: StateStore[] = [];
  const fresh = () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    return schema;
  };
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await dropSchemas(...schemas.splice(0));
  });

  it('migrates a fresh schema once when several workers open it at the same moment', async () => {
    const schema = fresh();
    stores.push(...(await Promise.all(Array.from({ length: 4 }, () => PgStateStore.open(testTarget(schema))))));
    const rows = await withPostgres(async (client) =>
      (await client.query<{ version: number; n: string }>(`SELECT version, count(*) AS n FROM "${schema}".schema_migrations GROUP BY version ORDER BY version`)).rows,
    );
    expect(rows.map((r) => [r.version, Number(r.n)])).toEqual(MIGRATIONS.map((m) => [m.version, 1]));

    // Every instance works on the tables the migrations made.
    await stores[3].saveDeploymentRecord({
      deploymentId: 'dep-1', workflowId: 'wf', name: 'shop', environment: 'prod', phase: 'SUCCEEDED',
      startedAt: '2025-01-01T00:00:00.000Z', endedAt: '2025-01-01T00:00:01.000Z', services: {}, orphans: [], retained: [],
    });
    expect((await stores[0].getDeploymentRecord('dep-1'))?.phase).toBe('SUCCEEDED');
  });

  it('applies only what a schema lacks: a schema at version 1 gets version 2, and reopening applies nothing', async () => {
    const schema = fresh();
    const { migrate } = await import('../../src/state/pg/migrations');
    await withPostgres(async (client) => {
      expect(await migrate(client, schema, MIGRATIONS.slice(0, 1))).toEqual([1]);
      expect(await migrate(client, schema)).toEqual(MIGRATIONS.slice(1).map((m) => m.version));
      expect(await migrate(client, schema)).toEqual([]);
    });
  });

  it('names where it is without the password, and says which setting to fix when it cannot connect', async () => {
    const url = new URL(TEST_POSTGRES_URL);
    url.password = 'sup3r-secret';
    const schema = fresh();
    // trust auth ignores the password: the store opens, and its location never shows it.
    const store = await PgStateStore.open({ connectionString: url.toString(), schema });
    stores.push(store);
    expect(store.location).not.toContain('sup3r-secret');
    expect(store.location).toContain(`schema=${schema}`);
    expect(await store.saveRollbackManifest({ deploymentId: 'dep-1', name: 'n', environment: 'e', createdAt: 'now', services: {} })).not.toContain(
      'sup3r-secret',
    );

    const nowhere = new URL(TEST_POSTGRES_URL);
    nowhere.port = '1';
    nowhere.password = 'sup3r-secret';
    const error = await PgStateStore.open({ connectionString: nowhere.toString(), schema }).catch((err: Error) => err);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/could not open the PostgreSQL state store at postgres:\/\/postgres@127\.0\.0\.1:1\/.*\(TUGBOAT_STATE\)/);
    expect((error as Error).message).not.toContain('sup3r-secret');
  });

  it('close() ends the pool: later calls fail rather than reconnect', async () => {
    const store = await PgStateStore.open(testTarget(fresh()));
    await store.close();
    await expect(store.getRollbackManifest('dep-1')).rejects.toThrow();
  });
});
