/**
 * The state store's tables, as numbered migrations. Every worker runs them at start; an advisory
 * lock held for the migrating transaction makes workers that start together take turns, so each
 * version is applied once, and whoever comes second finds it in schema_migrations. Never edit a
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

/**
 * Creates the schema if missing and applies every migration it lacks, in one transaction under a
 * transaction-level advisory lock (released by COMMIT or ROLLBACK, even if this process dies).
 * Returns the versions it applied.
 */
export async function migrate(client: ClientBase, schema: string, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const s = quoteIdentifier(schema);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const done = new Set((await client.query<{ version: number }>(`SELECT version FROM ${s}.schema_migrations`)).rows.map((r) => r.version));
    const applied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      await client.query(migration.sql.replaceAll('<schema>', s));
      await client.query(`INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
