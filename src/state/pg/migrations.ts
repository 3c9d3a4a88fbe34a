/**
 * The state store's tables, as numbered migrations. Every process that opens the store checks
 * them (a read); when one is missing, an advisory lock held for the migrating transaction makes
 * workers that start together take turns, so each version is applied once, and whoever comes
 * second finds it in schema_migrations. Never edit a
 * released migration: add the next number (a worker running an older Tugboat ignores versions it
 * does not know, so migrations only ever add).
 *
 * Documents (rollback manifests, records, ledger entries) are JSONB as the interfaces define them;
 * the columns beside them are what lookups and compare-and-swap need.
 */
import type { ClientBase } from 'pg';
import { quoteIdentifier } from './target';

export interface Migration {
  version: number;
  /** What it adds, for people reading schema_migrations. */
  name: string;
  /** SQL with `<schema>` standing for the quoted schema name. */
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'rollback manifests, intent ledger, attempts, deployment records, service state, provider health',
    sql: `
      CREATE TABLE <schema>.rollback_manifests (
        deployment_id text PRIMARY KEY,
        manifest jsonb NOT NULL,
        saved_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE <schema>.intents (
        deployment_id text NOT NULL,
        idempotency_key text NOT NULL,
        status text NOT NULL CHECK (status IN ('intent', 'confirmed')),
        recorded_at text NOT NULL,
        entry jsonb NOT NULL,
        PRIMARY KEY (deployment_id, idempotency_key)
      );
      CREATE TABLE <schema>.attempts (
        deployment_id text NOT NULL,
        idempotency_key text NOT NULL,
        execution text NOT NULL,
        attempt integer NOT NULL,
        record jsonb NOT NULL,
        PRIMARY KEY (deployment_id, idempotency_key, execution, attempt)
      );
      CREATE TABLE <schema>.deployment_records (
        deployment_id text PRIMARY KEY,
        name text NOT NULL,
        environment text NOT NULL,
        started_at text NOT NULL,
        record jsonb NOT NULL,
        saved_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX deployment_records_by_environment
        ON <schema>.deployment_records (name, environment, started_at DESC, deployment_id DESC);
      CREATE TABLE <schema>.service_state (
        name text NOT NULL,
        environment text NOT NULL,
        service text NOT NULL,
        record jsonb NOT NULL,
        saved_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (name, environment, service)
      );
      -- health is NULL in a row inserted only to be locked (the first update of a provider).
      CREATE TABLE <schema>.provider_health (
        provider text PRIMARY KEY,
        health jsonb,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 2,
    name: 'OpenTofu module snapshots (what a restore re-applies, on whichever worker it runs)',
    sql: `
      CREATE TABLE <schema>.module_snapshots (
        hash text PRIMARY KEY,
        file_count integer NOT NULL,
        saved_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE <schema>.module_snapshot_files (
        hash text NOT NULL REFERENCES <schema>.module_snapshots (hash) ON DELETE CASCADE,
        path text NOT NULL,
        mode integer NOT NULL,
        content bytea NOT NULL,
        PRIMARY KEY (hash, path)
      );
    `,
  },
];

/** Both halves of the two-key advisory lock: Tugboat's migrations (OpenTofu's pg backend uses one-key locks). */
const MIGRATION_LOCK_CLASS = 0x7475_6762; // "tugb"
/** SQLSTATE 42501: permission denied. */
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * Brings the schema up to date and returns the versions it applied. First a plain read: when
 * schema_migrations already lists every version this Tugboat knows, nothing else runs, so a role
 * that may only read and write the tables (no CREATE on the database or schema) opens the store.
 * Otherwise: one transaction under a transaction-level advisory lock (released by COMMIT or
 * ROLLBACK, even if this process dies) creates what is missing.
 */
export async function migrate(client: ClientBase, schema: string, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const s = quoteIdentifier(schema);
  const applied = await appliedVersions(client, s);
  if (applied && migrations.every((m) => applied.has(m.version))) return [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, schema]);
    // Checked, not `IF NOT EXISTS`: that form still needs CREATE on the database, which the owner
    // of an existing schema may lack.
    const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (!rowCount) await client.query(`CREATE SCHEMA ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    // Read again under the lock: another worker may have migrated since the first read.
    const done = (await appliedVersions(client, s)) ?? new Set<number>();
    const added: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      await client.query(migration.sql.replaceAll('<schema>', s));
      await client.query(`INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      added.push(migration.version);
    }
    await client.query('COMMIT');
    return added;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if ((err as { code?: string }).code === INSUFFICIENT_PRIVILEGE) {
      const missing = migrations.filter((m) => !applied?.has(m.version)).map((m) => m.version);
      throw new Error(
        `${(err as Error).message}: schema ${schema} lacks migration ${missing.join(', ')}, and this role may not create it; ` +
          'open the store once (start a worker, or run any CLI command) as a role that may create schemas in the database, or that owns the schema',
        { cause: err },
      );
    }
    throw err;
  }
}

/** The versions schema_migrations lists; undefined when the schema or the table does not exist yet. */
async function appliedVersions(client: ClientBase, s: string): Promise<Set<number> | undefined> {
  const { rows } = await client.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [`${s}.schema_migrations`]);
  if (!rows[0]?.found) return undefined;
  return new Set((await client.query<{ version: number }>(`SELECT version FROM ${s}.schema_migrations`)).rows.map((r) => r.version));
}
