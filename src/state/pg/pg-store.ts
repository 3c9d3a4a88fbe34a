/**
 * The state store in PostgreSQL, for workers on several machines: every worker sees the same
 * rollback manifests, intent ledger, attempts, deployment records, service state and provider
 * health. One pooled set of connections per process; documents as JSONB.
 *
 * Where two workers may race, the database decides in one statement (the ledger's
 * compare-and-swap) or under a row lock (provider health), never by reading and then writing.
 */
import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import type { ProviderHealth } from '../../api/resilience';
import { newestFirst } from '../records';
import type {
  AttemptRecord,
  DeploymentRecord,
  EnvironmentKey,
  IntentEntry,
  RollbackManifest,
  ServiceStateKey,
  ServiceStateRecord,
  StateStore,
} from '../types';
import { migrate } from './migrations';
import { checkOut, openPool, pgError } from './pool';
import { describePostgres, quoteIdentifier, type PostgresTarget } from './target';

export interface PgStateStoreOptions {
  /** Connections this process may hold (default 10). */
  poolSize?: number;
}

export class PgStateStore implements StateStore {
  readonly location: string;
  private readonly s: string;

  private constructor(
    private readonly pool: Pool,
    readonly target: PostgresTarget,
  ) {
    this.location = describePostgres(target);
    this.s = quoteIdentifier(target.schema);
  }

  /** Connects and brings the schema up to date (see migrations.ts); fails with what to check. */
  static async open(target: PostgresTarget, opts: PgStateStoreOptions = {}): Promise<PgStateStore> {
    // Every connection has timeouts (timeouts.ts): a hung database is an error here, not a stalled step.
    const pool = openPool(target, { max: opts.poolSize ?? 10, applicationName: 'tugboat' });
    const store = new PgStateStore(pool, target);
    try {
      await store.withClient((client) => migrate(client, target.schema));
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new Error(`could not open the ${pgError(err, target, 'state store').message}`, { cause: err });
    }
    return store;
  }

  private table(name: string): string {
    return `${this.s}.${name}`;
  }

  private async withClient<T>(use: (client: PoolClient) => Promise<T>): Promise<T> {
    const { client, release } = await checkOut(this.pool).catch((err: unknown) => {
      throw pgError(err, this.target, 'state store');
    });
    try {
      return await use(client);
    } finally {
      release();
    }
  }

  /** Runs `work` in one transaction: all of it or none. */
  private transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await this.query('BEGIN', [], client);
      try {
        const result = await work(client);
        await this.query('COMMIT', [], client);
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** Every statement goes through here: a failure names the store, and a timeout says which one. */
  private async query<R extends QueryResultRow>(sql: string, params: unknown[], via: Pool | PoolClient = this.pool): Promise<QueryResult<R>> {
    try {
      return await via.query<R>(sql, params);
    } catch (err) {
      throw pgError(err, this.target, 'state store');
    }
  }

  private async one<T>(sql: string, params: unknown[]): Promise<T | undefined> {
    const { rows } = await this.query<{ doc: T }>(sql, params);
    return rows[0]?.doc;
  }

  private async all<T>(sql: string, params: unknown[]): Promise<T[]> {
    return (await this.query<{ doc: T }>(sql, params)).rows.map((r) => r.doc);
  }

  async getServiceState(key: ServiceStateKey): Promise<ServiceStateRecord | undefined> {
    return this.one(`SELECT record AS doc FROM ${this.table('service_state')} WHERE name = $1 AND environment = $2 AND service = $3`, [
      key.name,
      key.environment,
      key.service,
    ]);
  }

  async saveServiceState(key: ServiceStateKey, record: ServiceStateRecord): Promise<void> {
    await this.query(
      `INSERT INTO ${this.table('service_state')} (name, environment, service, record) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name, environment, service) DO UPDATE SET record = EXCLUDED.record, saved_at = now()`,
      [key.name, key.environment, key.service, json(record)],
    );
  }

  async deleteServiceState(key: ServiceStateKey): Promise<void> {
    await this.query(`DELETE FROM ${this.table('service_state')} WHERE name = $1 AND environment = $2 AND service = $3`, [
      key.name,
      key.environment,
      key.service,
    ]);
  }

  async saveRollbackManifest(manifest: RollbackManifest): Promise<string> {
    await this.query(
      `INSERT INTO ${this.table('rollback_manifests')} (deployment_id, manifest) VALUES ($1, $2)
       ON CONFLICT (deployment_id) DO UPDATE SET manifest = EXCLUDED.manifest, saved_at = now()`,
      [manifest.deploymentId, json(manifest)],
    );
    return this.rowLocation('rollback_manifests', manifest.deploymentId);
  }

  async getRollbackManifest(deploymentId: string): Promise<RollbackManifest | undefined> {
    return this.one(`SELECT manifest AS doc FROM ${this.table('rollback_manifests')} WHERE deployment_id = $1`, [deploymentId]);
  }

  async recordIntent(entry: Omit<IntentEntry, 'status' | 'recordedAt'>): Promise<void> {
    const record: IntentEntry = { ...entry, status: 'intent', recordedAt: new Date().toISOString() };
    // A retry of a confirmed step keeps its confirmation (the side effect already happened): the
    // WHERE makes the conflicting row's status the condition of the same statement.
    await this.query(
      `INSERT INTO ${this.table('intents')} (deployment_id, idempotency_key, status, recorded_at, entry) VALUES ($1, $2, 'intent', $3, $4)
       ON CONFLICT (deployment_id, idempotency_key) DO UPDATE SET recorded_at = EXCLUDED.recorded_at, entry = EXCLUDED.entry
       WHERE ${this.table('intents')}.status = 'intent'`,
      [record.deploymentId, record.idempotencyKey, record.recordedAt, json(record)],
    );
  }

  async confirmIntent(idempotencyKey: string, deploymentId: string, result: Pick<IntentEntry, 'resources' | 'outcome'>): Promise<void> {
    // Compare-and-swap intent → confirmed: of two workers confirming at once, one changes the row;
    // the first confirmation is the record of what happened.
    const confirmed = { ...result, status: 'confirmed', confirmedAt: new Date().toISOString() };
    const { rowCount } = await this.query(
      `UPDATE ${this.table('intents')} SET status = 'confirmed', entry = entry || $3::jsonb
       WHERE deployment_id = $1 AND idempotency_key = $2 AND status = 'intent'`,
      [deploymentId, idempotencyKey, json(confirmed)],
    );
    if (rowCount) return;
    const { rows } = await this.query(`SELECT 1 FROM ${this.table('intents')} WHERE deployment_id = $1 AND idempotency_key = $2`, [
      deploymentId,
      idempotencyKey,
    ]);
    if (rows.length === 0) throw new Error(`no intent recorded for ${idempotencyKey} in ${this.location}`);
  }

  async listIntents(deploymentId: string): Promise<IntentEntry[]> {
    return this.all(`SELECT entry AS doc FROM ${this.table('intents')} WHERE deployment_id = $1 ORDER BY recorded_at COLLATE "C", idempotency_key COLLATE "C"`, [
      deploymentId,
    ]);
  }

  async recordAttempt(record: AttemptRecord): Promise<void> {
    await this.query(
      `INSERT INTO ${this.table('attempts')} (deployment_id, idempotency_key, execution, attempt, record) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (deployment_id, idempotency_key, execution, attempt) DO UPDATE SET record = EXCLUDED.record`,
      [record.deploymentId, record.idempotencyKey, record.execution, record.attempt, json(record)],
    );
  }

  async listAttempts(deploymentId: string, idempotencyKey: string): Promise<AttemptRecord[]> {
    return this.all(`SELECT record AS doc FROM ${this.table('attempts')} WHERE deployment_id = $1 AND idempotency_key = $2`, [
      deploymentId,
      idempotencyKey,
    ]);
  }

  async saveDeploymentRecord(record: DeploymentRecord): Promise<string> {
    // One row serves both lookups (by ID, and by environment through its index), so nothing can
    // disagree: the file store's two copies have no counterpart here.
    await this.query(
      `INSERT INTO ${this.table('deployment_records')} (deployment_id, name, environment, started_at, record) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (deployment_id) DO UPDATE SET name = EXCLUDED.name, environment = EXCLUDED.environment,
         started_at = EXCLUDED.started_at, record = EXCLUDED.record, saved_at = now()`,
      [record.deploymentId, record.name, record.environment, record.startedAt, json(record)],
    );
    return this.rowLocation('deployment_records', record.deploymentId);
  }

  async getDeploymentRecord(deploymentId: string): Promise<DeploymentRecord | undefined> {
    return this.one(`SELECT record AS doc FROM ${this.table('deployment_records')} WHERE deployment_id = $1`, [deploymentId]);
  }

  async listDeploymentRecords(key: EnvironmentKey): Promise<DeploymentRecord[]> {
    const records = await this.all<DeploymentRecord>(
      `SELECT record AS doc FROM ${this.table('deployment_records')} WHERE name = $1 AND environment = $2`,
      [key.name, key.environment],
    );
    // The one ordering every backend shares (records.ts), rather than SQL's collation.
    return newestFirst(records);
  }

  async updateProviderHealth(provider: string, update: (current: ProviderHealth | undefined) => ProviderHealth): Promise<ProviderHealth> {
    return this.transaction(async (client) => {
      // A row to lock even for a provider never seen: concurrent first updates queue on it.
      const health = this.table('provider_health');
      await this.query(`INSERT INTO ${health} (provider, health) VALUES ($1, NULL) ON CONFLICT (provider) DO NOTHING`, [provider], client);
      // Waits at most lock_timeout for another worker's update (timeouts.ts).
      const { rows } = await this.query<{ health: ProviderHealth | null }>(`SELECT health FROM ${health} WHERE provider = $1 FOR UPDATE`, [provider], client);
      const next = update(rows[0]?.health ?? undefined);
      await this.query(`UPDATE ${health} SET health = $2, updated_at = now() WHERE provider = $1`, [provider, json(next)], client);
      return next;
    });
  }

  async getProviderHealth(provider: string): Promise<ProviderHealth | undefined> {
    return (await this.one<ProviderHealth | null>(`SELECT health AS doc FROM ${this.table('provider_health')} WHERE provider = $1`, [provider])) ?? undefined;
  }

  async listProviderHealth(): Promise<ProviderHealth[]> {
    const all = await this.all<ProviderHealth>(`SELECT health AS doc FROM ${this.table('provider_health')} WHERE health IS NOT NULL`, []);
    return all.sort((a, b) => a.provider.localeCompare(b.provider)); // as the file store orders them
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Where one row lives, for messages and the workflow's record (no password). */
  private rowLocation(table: string, deploymentId: string): string {
    return `${this.location}#${table}/${deploymentId}`;
  }
}

/** What a NUL in a document becomes (see json()). */
export const NUL_REPLACEMENT = '\uFFFD';

/**
 * A document for a JSONB parameter: as JSON text, so arrays are not taken for PostgreSQL arrays.
 * JSONB cannot hold U+0000 (a tool's output may contain it): every NUL in a string or a key
 * becomes U+FFFD, the replacement character, so the record is stored (rather than failing every
 * retry) with the rest of its text intact.
 */
function json(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'string') return v.includes('\0') ? v.replaceAll('\0', NUL_REPLACEMENT) : v;
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).some((k) => k.includes('\0'))) {
      return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k.replaceAll('\0', NUL_REPLACEMENT), inner]));
    }
    return v;
  });
}

