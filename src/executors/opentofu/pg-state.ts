/**
 * With the PostgreSQL state store, what the opentofu executor keeps lives in the same database,
 * so a step can run on any worker: each service's state in OpenTofu's own `pg` backend (one schema
 * per deployment name, environment and service, so states and their locks never meet), and the
 * module snapshots a restore re-applies in Tugboat's schema (migration 2). The local snapshot
 * directory stays as a cache.
 *
 * The connection string (it may hold a password) reaches tofu through PG_CONN_STR in its
 * environment: never on a command line (`ps` shows those) or in a file a working copy keeps.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import { openPool, pgError } from '../../state/pg/pool';
import { quoteIdentifier, type PostgresTarget } from '../../state/pg/target';
import type { ServiceStateKey } from '../../state/types';
import { writeSnapshotDir } from './module-files';

/** PostgreSQL's identifier limit. */
const MAX_IDENTIFIER = 63;
const HASH_CHARS = 12;

/**
 * `<schema>_tofu_<hash of schema, name, environment, service>`: readable next to Tugboat's schema,
 * unique per state, within 63 characters (the prefix is cut; the hash still covers all of it).
 */
export function tofuSchemaName(schema: string, key: ServiceStateKey): string {
  const hash = createHash('sha256').update([schema, key.name, key.environment, key.service].join('\0')).digest('hex').slice(0, HASH_CHARS);
  const suffix = `_tofu_${hash}`;
  return `${schema.slice(0, MAX_IDENTIFIER - suffix.length)}${suffix}`;
}

/** HCL for the `pg` backend in `schemaName` (the connection string comes from PG_CONN_STR). */
export function pgBackendOverride(schemaName: string): string {
  return `terraform {\n  backend "pg" {\n    schema_name = ${JSON.stringify(schemaName)}\n  }\n}\n`;
}

/**
 * The connection string for tofu. Its driver (lib/pq) insists on TLS unless told otherwise, where
 * node-postgres (the state store's driver) does not: without an sslmode in the URL or PGSSLMODE,
 * tofu gets sslmode=disable, so both connect the same way.
 */
export function tofuConnectionString(target: PostgresTarget, env: NodeJS.ProcessEnv): string {
  const url = new URL(target.connectionString);
  if (!url.searchParams.has('sslmode') && !env.PGSSLMODE) url.searchParams.set('sslmode', 'disable');
  return url.toString();
}

/** The executor's own reads and writes in the database: module snapshots, and a state's raw JSON. */
export class PgOpentofuStore {
  private pool: Pool | undefined;

  constructor(private readonly target: PostgresTarget) {}

  private db(): Pool {
    // Few, short queries: a small pool, which lets the process exit when idle (executors are not closed).
    this.pool ??= openPool(this.target, { max: 2, idleTimeoutMillis: 5_000, allowExitOnIdle: true, applicationName: 'tugboat-opentofu' });
    return this.pool;
  }

  /** Every statement goes through here: a failure names the database, and a timeout says which one. */
  private async query<R extends QueryResultRow>(sql: string, params: unknown[], via: Pool | PoolClient = this.db()): Promise<QueryResult<R>> {
    try {
      return await via.query<R>(sql, params);
    } catch (err) {
      throw pgError(err, this.target, 'state store (OpenTofu module snapshots and states)');
    }
  }

  private table(name: string): string {
    return `${quoteIdentifier(this.target.schema)}.${name}`;
  }

  /** Stores the module's files (relative paths under `dir`) under `hash`, unless stored already; all or nothing. */
  async saveSnapshot(hash: string, dir: string, files: string[]): Promise<void> {
    const client = await this.db()
      .connect()
      .catch((err: unknown) => {
        throw pgError(err, this.target, 'state store (OpenTofu module snapshots and states)');
      });
    try {
      await this.query('BEGIN', [], client);
      const { rowCount } = await this.query(
        `INSERT INTO ${this.table('module_snapshots')} (hash, file_count) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING`,
        [hash, files.length],
        client,
      );
      for (const rel of rowCount ? files : []) {
        const file = path.join(dir, rel);
        const [content, stat] = await Promise.all([fs.readFile(file), fs.stat(file)]);
        await this.query(
          `INSERT INTO ${this.table('module_snapshot_files')} (hash, path, mode, content) VALUES ($1, $2, $3, $4)`,
          [hash, rel, stat.mode & 0o777, content],
          client,
        );
      }
      await this.query('COMMIT', [], client);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Writes the snapshot `hash` to `snapshotDir` (atomically); false when the database has none. */
  async restoreSnapshot(hash: string, snapshotDir: string): Promise<boolean> {
    const { rows } = await this.query<{ path: string | null; mode: number | null; content: Buffer | null }>(
      `SELECT f.path, f.mode, f.content FROM ${this.table('module_snapshots')} s
       LEFT JOIN ${this.table('module_snapshot_files')} f ON f.hash = s.hash WHERE s.hash = $1`,
      [hash],
    );
    if (rows.length === 0) return false;
    await writeSnapshotDir(snapshotDir, async (tmp) => {
      for (const row of rows) {
        if (row.path === null) continue;
        const file = path.join(tmp, row.path);
        if (path.relative(tmp, file).startsWith('..')) throw new Error(`module snapshot ${hash} names a file outside it: ${row.path}`);
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.writeFile(file, row.content!);
        await fs.chmod(file, row.mode!); // exactly as applied (writeFile's mode would pass through the umask)
      }
    });
    return true;
  }

  /** The state's JSON as the pg backend keeps it (its `states` table, workspace `default`); undefined when there is none. */
  async stateText(tofuSchema: string): Promise<string | undefined> {
    try {
      const { rows } = await this.query<{ data: string }>(`SELECT data FROM ${quoteIdentifier(tofuSchema)}.states WHERE name = 'default'`, []);
      return rows[0]?.data;
    } catch (err) {
      // No schema or table yet: tofu never initialised this state.
      if (['3F000', '42P01'].includes((err as { code?: string }).code ?? '')) return undefined;
      throw err;
    }
  }
}
