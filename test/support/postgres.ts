/**
 * The machine's PostgreSQL for tests (127.0.0.1:5432, trust auth, database `test`): each test
 * works in a schema of its own, dropped afterwards with whatever OpenTofu's pg backend made
 * beside it (`<schema>_tofu_…`).
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { PostgresTarget } from '../../src/state';

/** Override with TUGBOAT_TEST_POSTGRES (a postgres:// URL without ?schema). */
export const TEST_POSTGRES_URL = process.env.TUGBOAT_TEST_POSTGRES?.trim() || 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name no other test uses: `<prefix>_<random>`. */
export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export function testTarget(schema: string): PostgresTarget {
  return { connectionString: TEST_POSTGRES_URL, schema };
}

/** TUGBOAT_STATE for a worker or CLI writing to `schema`. */
export function testStateUrl(schema: string): string {
  return `${TEST_POSTGRES_URL}?schema=${schema}`;
}

/** Runs `use` with one connection, closed afterwards. */
export async function withPostgres<T>(use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Drops the schemas and the OpenTofu state schemas derived from them. */
export async function dropSchemas(...schemas: string[]): Promise<void> {
  if (schemas.length === 0) return;
  await withPostgres(async (client) => {
    const { rows } = await client.query<{ name: string }>(
      `SELECT nspname AS name FROM pg_namespace WHERE nspname = ANY($1) OR nspname LIKE ANY($2)`,
      [schemas, schemas.map((s) => `${s.replace(/_/g, '\\_')}\\_tofu\\_%`)],
    );
    for (const { name } of rows) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  });
}
