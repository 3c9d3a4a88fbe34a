/**
 * The connection pools Tugboat opens on PostgreSQL (the state store's, the opentofu executor's),
 * each with the timeouts of timeouts.ts, and the errors they raise as errors naming the store.
 */
import { Pool, type PoolClient } from 'pg';
import { describePostgres, type PostgresTarget } from './target';
import { pgTimeouts, TIMEOUT_PARAMS, type PgTimeouts } from './timeouts';

export interface PoolOptions {
  max: number;
  applicationName: string;
  idleTimeoutMillis?: number;
  allowExitOnIdle?: boolean;
}

/** A pool on the target with the timeouts set on every connection (the URL's own parameters win, see above). */
export function openPool(target: PostgresTarget, opts: PoolOptions): Pool {
  const timeouts = pgTimeouts(target.connectionString);
  const pool = new Pool({
    connectionString: target.connectionString,
    max: opts.max,
    application_name: opts.applicationName,
    idleTimeoutMillis: opts.idleTimeoutMillis,
    allowExitOnIdle: opts.allowExitOnIdle,
    connectionTimeoutMillis: timeouts.connectMs,
    statement_timeout: timeouts.statementMs,
    lock_timeout: timeouts.lockMs,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
  });
  // An idle connection the server drops (restart, failover) must not crash the worker: the pool
  // replaces it, and the next query reports any lasting problem.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * A connection taken out of the pool (for a transaction), and how to give it back. While a
 * connection is checked out the pool does not listen for its errors, and the driver emits a dead
 * socket's error on the client: with no listener that is an uncaught exception, and the whole
 * worker died when PostgreSQL's connection was reset in the middle of a transaction (found by the
 * chaos suite: the state store down for 3 s while a worker was in one). The guard
 * keeps the error (the statement in flight rejects with it anyway), and `release` gives a
 * connection that failed back as broken, so the pool discards it instead of lending it again.
 */
export async function checkOut(pool: Pool): Promise<{ client: PoolClient; release(): void }> {
  const client = await pool.connect();
  let failed: Error | undefined;
  const guard = (err: Error) => {
    failed ??= err;
  };
  client.on('error', guard);
  return {
    client,
    release() {
      // A broken connection keeps the guard: it may still report its end while the pool closes it.
      if (!failed) client.removeListener('error', guard);
      client.release(failed);
    },
  };
}

/** SQLSTATEs of the server-side timeouts, with what each one means here. */
const TIMEOUT_CODES: Record<string, { key: keyof PgTimeouts; what: string }> = {
  '55P03': { key: 'lockMs', what: 'waited longer than lock_timeout for a lock another connection holds' },
  '57014': { key: 'statementMs', what: 'a statement ran longer than statement_timeout' },
  '25P03': { key: 'idleInTransactionMs', what: 'a transaction stayed idle longer than idle_in_transaction_session_timeout' },
};

/**
 * An error from the driver as one that names the store (`what`, e.g. "state store") and, for a
 * timeout, which one and how to change it. The driver's SQLSTATE stays on `code`.
 */
export function pgError(err: unknown, target: PostgresTarget, what: string): Error {
  const cause = err as Error & { code?: string };
  const timeouts = pgTimeouts(target.connectionString);
  const coded = cause.code ? TIMEOUT_CODES[cause.code] : undefined;
  const connecting = !cause.code && /timeout exceeded when trying to connect|connection timeout/i.test(cause.message);
  const timeout = coded ?? (connecting ? { key: 'connectMs' as const, what: 'no connection within connect_timeout' } : undefined);
  let hint = '';
  if (timeout && !(timeout.key === 'statementMs' && !/statement timeout/.test(cause.message))) {
    const { param, unitMs } = TIMEOUT_PARAMS[timeout.key];
    hint = ` (${timeout.what}: ${timeouts[timeout.key] / unitMs}${unitMs === 1 ? 'ms' : 's'}; change it with ${param}=… in TUGBOAT_STATE)`;
  }
  const wrapped = new Error(`PostgreSQL ${what} at ${describePostgres(target)} (TUGBOAT_STATE): ${cause.message}${hint}`, { cause });
  return Object.assign(wrapped, cause.code ? { code: cause.code } : {});
}
