/**
 * What only the PostgreSQL backend has: migrations that workers starting together apply once, a
 * location without the password, and the connection pool's end.
 */
import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { MIGRATIONS } from '../../src/state/pg/migrations';
import { openPool } from '../../src/state/pg/pool';
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
  /** Login roles a test created, dropped after its schemas. */
  const roles: string[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await dropSchemas(...schemas.splice(0));
    await withPostgres(async (client) => {
      for (const role of roles.splice(0)) await client.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
    });
  });

  /** A login role with USAGE on `schema` and SELECT, INSERT, UPDATE, DELETE on its tables: no CREATE anywhere. */
  async function readWriteRole(schema: string): Promise<string> {
    const role = `tugboat_ro_${randomBytes(4).toString('hex')}`;
    roles.push(role);
    await withPostgres(async (client) => {
      await client.query(`CREATE ROLE ${role} LOGIN`);
      await client.query(`GRANT USAGE ON SCHEMA "${schema}" TO ${role}`);
      await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`);
      const { rows } = await client.query(
        `SELECT has_database_privilege($1, current_database(), 'CREATE') AS database, has_schema_privilege($1, $2, 'CREATE') AS schema`,
        [role, schema],
      );
      expect(rows[0]).toEqual({ database: false, schema: false });
    });
    return role;
  }

  const as = (role: string, schema: string) => {
    const url = new URL(TEST_POSTGRES_URL);
    url.username = role;
    return { connectionString: url.toString(), schema };
  };

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

  it('opens a migrated schema as a role that may not create anything (the CLI\'s or a locked-down worker\'s), and reads and writes', async () => {
    const schema = fresh();
    stores.push(await PgStateStore.open(testTarget(schema))); // the owner migrates once
    const store = await PgStateStore.open(as(await readWriteRole(schema), schema));
    stores.push(store);
    const record = {
      deploymentId: 'dep-ro', workflowId: 'wf', name: 'shop', environment: 'prod', phase: 'SUCCEEDED',
      startedAt: '2025-01-01T00:00:00.000Z', endedAt: '2025-01-01T00:00:01.000Z', services: {}, orphans: [], retained: [],
    };
    await store.saveDeploymentRecord(record);
    expect(await store.getDeploymentRecord('dep-ro')).toEqual(record);
    await store.updateProviderHealth('simulated', () => ({
      provider: 'simulated',
      breaker: { state: 'closed', consecutiveFailures: 0 },
      budget: { windowStart: '2025-01-01T00:00:00.000Z', calls: 1, retries: 0, delayed: 0 },
      updatedAt: '2025-01-01T00:00:00.000Z',
    }));
    expect((await store.getProviderHealth('simulated'))?.budget.calls).toBe(1);
  });

  it('a role that may not create anything, on a schema lacking a migration, is told which and who can apply it', async () => {
    const schema = fresh();
    stores.push(await PgStateStore.open(testTarget(schema)));
    const last = MIGRATIONS[MIGRATIONS.length - 1].version;
    await withPostgres((client) => client.query(`DELETE FROM "${schema}".schema_migrations WHERE version = $1`, [last]));
    const error = await PgStateStore.open(as(await readWriteRole(schema), schema)).catch((err: Error) => err);
    expect((error as Error).message).toMatch(
      new RegExp(`could not open the PostgreSQL state store .*permission denied .*: schema ${schema} lacks migration ${last}, and this role may not create it; open the store once .* as a role that may create schemas`),
    );
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

  it('every connection has timeouts (connect 5s, statement 15s, lock 5s, idle in transaction 30s) unless the URL names its own', async () => {
    const settings = async (connectionString: string) => {
      const pool = openPool({ connectionString, schema: 'unused' }, { max: 1, applicationName: 'tugboat-test' });
      try {
        const show = async (name: string) => (await pool.query<Record<string, string>>(`SHOW ${name}`)).rows[0][name];
        return [await show('statement_timeout'), await show('lock_timeout'), await show('idle_in_transaction_session_timeout')];
      } finally {
        await pool.end();
      }
    };
    expect(await settings(TEST_POSTGRES_URL)).toEqual(['15s', '5s', '30s']);
    expect(await settings(`${TEST_POSTGRES_URL}?statement_timeout=60000&lock_timeout=250&idle_in_transaction_session_timeout=0`)).toEqual(['1min', '250ms', '0']);
  });

  it('a provider\'s health row locked by another connection fails the update after lock_timeout, naming the store and the setting', async () => {
    const schema = fresh();
    const store = await PgStateStore.open({ connectionString: `${TEST_POSTGRES_URL}?lock_timeout=300`, schema });
    stores.push(store);
    const healthy = (calls: number) => ({
      provider: 'opentofu',
      breaker: { state: 'closed' as const, consecutiveFailures: 0 },
      budget: { windowStart: '2025-01-01T00:00:00.000Z', calls, retries: 0, delayed: 0 },
      updatedAt: '2025-01-01T00:00:00.000Z',
    });
    await store.updateProviderHealth('opentofu', () => healthy(1));
    await withPostgres(async (holder) => {
      // Another worker stuck inside its update: the row stays locked until it ends its transaction.
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM "${schema}".provider_health WHERE provider = 'opentofu' FOR UPDATE`);
      const started = Date.now();
      const error = await store.updateProviderHealth('opentofu', () => healthy(2)).catch((err: Error) => err);
      const waited = Date.now() - started;
      expect((error as Error).message).toMatch(
        new RegExp(`^PostgreSQL state store at postgres://postgres@127\\.0\\.0\\.1:5432/test\\?lock_timeout=300&schema=${schema} \\(TUGBOAT_STATE\\): canceling statement due to lock timeout \\(waited longer than lock_timeout for a lock another connection holds: 300ms; change it with lock_timeout=… in TUGBOAT_STATE\\)$`),
      );
      expect((error as { code?: string }).code).toBe('55P03');
      expect(waited).toBeGreaterThanOrEqual(250);
      expect(waited).toBeLessThan(5_000);
      await holder.query('ROLLBACK');
    });
    // Released: the next update goes through, and the failed one changed nothing.
    expect((await store.getProviderHealth('opentofu'))?.budget.calls).toBe(1);
    expect((await store.updateProviderHealth('opentofu', () => healthy(3))).budget.calls).toBe(3);
  });

  it('a server that accepts the connection and never answers fails the open after connect_timeout, saying so', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const started = Date.now();
      const error = await PgStateStore.open({ connectionString: `postgres://postgres@127.0.0.1:${port}/test?connect_timeout=1`, schema: fresh() }).catch(
        (err: Error) => err,
      );
      expect((error as Error).message).toMatch(
        new RegExp(`^could not open the PostgreSQL state store at postgres://postgres@127\\.0\\.0\\.1:${port}/test\\?connect_timeout=1&schema=\\w+ \\(TUGBOAT_STATE\\): .*timeout.* \\(no connection within connect_timeout: 1s; change it with connect_timeout=… in TUGBOAT_STATE\\)$`),
      );
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('close() ends the pool: later calls fail rather than reconnect', async () => {
    const store = await PgStateStore.open(testTarget(fresh()));
    await store.close();
    await expect(store.getRollbackManifest('dep-1')).rejects.toThrow();
  });
});
