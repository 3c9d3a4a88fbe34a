/**
 * Which PostgreSQL database and schema hold the state: parsed from TUGBOAT_STATE
 * (`postgres://user[:password]@host[:port]/database[?schema=name]`). The `schema` parameter is
 * Tugboat's, not libpq's, so it is taken off before the URL reaches a driver.
 */
import { pgTimeouts } from './timeouts';

export const DEFAULT_SCHEMA = 'tugboat';

/**
 * Unquoted-identifier rules, lowercase only: the name reads the same in psql without quotes, and
 * OpenTofu's per-state schemas (`<schema>_tofu_<hash>`) derive from it.
 */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresTarget {
  /** What the driver connects with: the URL as given, without `schema`. May hold a password: never log it. */
  connectionString: string;
  /** The schema holding Tugboat's tables (created if missing). */
  schema: string;
}

/** Parses a postgres:// URL; throws an Error naming `setting` (TUGBOAT_STATE) and the fix. */
export function parsePostgresUrl(raw: string, setting = 'TUGBOAT_STATE'): PostgresTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${setting} is not a valid URL: ${JSON.stringify(redactUrlText(raw))} (e.g. postgres://tugboat@db.internal:5432/tugboat?schema=tugboat)`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(`${setting} must be a postgres:// URL here, not ${url.protocol}`);
  }
  if (!url.hostname) throw new Error(`${setting} names no host: ${JSON.stringify(withoutPassword(url))} (e.g. postgres://tugboat@127.0.0.1:5432/tugboat)`);
  const schema = url.searchParams.get('schema') ?? DEFAULT_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(
      `${setting}: schema=${JSON.stringify(schema)} is not a usable schema name: lowercase letters, digits and _, starting with a letter or _, at most 63 characters (e.g. ?schema=tugboat)`,
    );
  }
  url.searchParams.delete('schema');
  pgTimeouts(url.toString(), setting); // a timeout it cannot use stops the process now, not at the first query
  return { connectionString: url.toString(), schema };
}

/** For humans: the URL without its password, and the schema. */
export function describePostgres(target: PostgresTarget): string {
  const url = new URL(target.connectionString);
  url.searchParams.set('schema', target.schema);
  return withoutPassword(url);
}

/** A schema name as SQL (validated above; quoted anyway, so it can never be read as SQL). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function withoutPassword(url: URL): string {
  const copy = new URL(url.toString());
  copy.password = '';
  return copy.toString();
}

/** An unparsable value may still hold `user:password@`: show it without what sits between ':' and '@'. */
function redactUrlText(raw: string): string {
  return raw.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
}
