/**
 * With the PostgreSQL state store, what the opentofu executor keeps lives in the same database,
 * so a step can run on any worker: each service's state in OpenTofu's own `pg` backend (one schema
 * per deployment name, environment and service, so states and their locks never meet), and the
 * module snapshots a restore re-applies in Tugboat's schema (migration 2). The local snapshot
 * directory stays as a cache.
 *
 * The connection string (it may hold a password) reaches tofu through PG_CONN_STR in its
 * environment: never on a command line (`ps` shows those) or in a file a working copy keeps; and
 * only for modules that use this backend (one declaring its own `pg` backend keeps the operator's
 * PG_CONN_STR).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import { checkOut, openPool, pgError } from '../../state/pg/pool';
import { describePostgres, quoteIdentifier, type PostgresTarget } from '../../state/pg/target';
import type { ServiceStateKey } from '../../state/types';
import { PermanentDeployError } from '../errors';
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

/** The sslmode values lib/pq (OpenTofu's driver) accepts. */
const LIBPQ_SSLMODES = ['disable', 'require', 'verify-ca', 'verify-full'];
const SSLMODE_FIX = 'use sslmode=disable, require (TLS, certificate not checked), verify-ca or verify-full, which both drivers read the same way';

/**
 * The connection string for tofu, whose driver (lib/pq) reads some of the URL differently from
 * node-postgres (the state store's):
 * - lib/pq insists on TLS unless told otherwise: without an sslmode in the URL or PGSSLMODE, tofu
 *   gets sslmode=disable, so both connect the same way;
 * - node-postgres' `no-verify` (TLS, certificate not checked) is lib/pq's `require`;
 * - `prefer` and `allow` lib/pq refuses, and node-postgres' `ssl` parameter it would send to the
 *   server as a setting: refused here with what to write instead;
 * - `uselibpqcompat` (node-postgres reads sslmode as libpq does) is dropped: lib/pq does anyway.
 * Throws a PermanentDeployError naming the setting (TUGBOAT_STATE or PGSSLMODE).
 */
export function tofuConnectionString(target: PostgresTarget, env: NodeJS.ProcessEnv): string {
  const url = new URL(target.connectionString);
  const ssl = url.searchParams.get('ssl');
  if (ssl !== null) {
    throw new PermanentDeployError(
      `TUGBOAT_STATE: ssl=${ssl} is node-postgres' own parameter; OpenTofu's pg backend (lib/pq), which gets the same URL, would send it to the server as a setting and fail: ${SSLMODE_FIX}`,
    );
  }
  url.searchParams.delete('uselibpqcompat');
  const fromUrl = url.searchParams.get('sslmode');
  const mode = fromUrl ?? (env.PGSSLMODE || undefined);
  if (mode === undefined) url.searchParams.set('sslmode', 'disable');
  else if (mode === 'no-verify') url.searchParams.set('sslmode', 'require');
  else if (!LIBPQ_SSLMODES.includes(mode)) {
    throw new PermanentDeployError(
      `${fromUrl === null ? 'PGSSLMODE' : 'TUGBOAT_STATE'}: sslmode=${mode} is not a mode OpenTofu's pg backend (lib/pq) accepts: ${SSLMODE_FIX}`,
    );
  }
  return url.toString();
}

/**
 * A worker switched to PostgreSQL still has the local state files it kept before (the layout
 * without PostgreSQL). Run against an empty pg state, tofu would create every resource such a
 * file tracks a second time. This error refuses, and gives the steps that move the state (`tofu
 * state push`, which checks the state's lineage and serial) — never done automatically: only an
 * operator knows whether the file is the live state or an old copy.
 */
export function unmovedLocalStateError(opts: {
  service: string;
  statePath: string;
  /** In the local state; NaN when it cannot be read. */
  resources: number;
  tofuSchema: string;
  target: PostgresTarget;
  /** PG_CONN_STR as tofu gets it. Shown without its password. */
  connectionString: string;
  tofu: string;
}): PermanentDeployError {
  const conn = new URL(opts.connectionString);
  const hadPassword = conn.password !== '';
  conn.password = '';
  const backend = `terraform {\\n  backend "pg" {\\n    schema_name = "${opts.tofuSchema}"\\n  }\\n}\\n`;
  return new PermanentDeployError(
    [
      `refusing to run tofu for ${opts.service}: this worker has a local OpenTofu state ${Number.isNaN(opts.resources) ? 'it cannot read' : `with ${opts.resources} resource(s)`} at ${opts.statePath} ` +
        `(kept there before TUGBOAT_STATE named PostgreSQL), while its state in PostgreSQL (schema ${opts.tofuSchema} at ${describePostgres(opts.target)}) is empty: ` +
        'tofu would create those resources a second time.',
      'Move the state into PostgreSQL once, on this machine, then retry the deployment:',
      `  cd "$(mktemp -d)"`,
      `  printf '${backend}' > backend.tf`,
      `  export PG_CONN_STR=${shellQuote(conn.toString())}${hadPassword ? '   # and PGPASSWORD, or the password in the URL' : ''}`,
      `  ${shellQuote(opts.tofu)} init -input=false`,
      `  ${shellQuote(opts.tofu)} state push ${shellQuote(opts.statePath)}`,
      `  mv ${shellQuote(opts.statePath)} ${shellQuote(`${opts.statePath}.moved-to-postgres`)}`,
      'If the PostgreSQL state is meant to be empty (the file is an old copy), only move the file away.',
    ].join('\n'),
  );
}

/** One shell word, whatever it holds. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
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
    const { client, release } = await checkOut(this.db()).catch((err: unknown) => {
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
      release();
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
