/**
 * Timeouts on every connection Tugboat opens to PostgreSQL: a database that hangs, or a row lock
 * nobody releases, then fails the call with an error naming the store and the timeout, instead of
 * stalling the activity until Temporal's heartbeat timeout says only that the worker went quiet.
 *
 * The URL in TUGBOAT_STATE overrides each default with PostgreSQL's own setting name (values in
 * milliseconds) or, for connecting, libpq's `connect_timeout` (seconds): OpenTofu's driver reads
 * the same names, so one URL means the same to both. 0 turns a timeout off.
 */

export interface PgTimeouts {
  /** Getting a connection (`connect_timeout`, given in seconds). */
  connectMs: number;
  /** One statement (`statement_timeout`). */
  statementMs: number;
  /** Waiting for a row or table lock another connection holds (`lock_timeout`). */
  lockMs: number;
  /** A transaction left open with nothing running, whose locks would block every other worker (`idle_in_transaction_session_timeout`). */
  idleInTransactionMs: number;
}

export const DEFAULT_TIMEOUTS: Readonly<PgTimeouts> = { connectMs: 5_000, statementMs: 15_000, lockMs: 5_000, idleInTransactionMs: 30_000 };

/** The URL parameter behind each timeout, and its unit. */
export const TIMEOUT_PARAMS: Readonly<Record<keyof PgTimeouts, { param: string; unitMs: number }>> = {
  connectMs: { param: 'connect_timeout', unitMs: 1_000 },
  statementMs: { param: 'statement_timeout', unitMs: 1 },
  lockMs: { param: 'lock_timeout', unitMs: 1 },
  idleInTransactionMs: { param: 'idle_in_transaction_session_timeout', unitMs: 1 },
};

/**
 * The timeouts for this target: the URL's, else the defaults. Throws an Error naming `setting` for
 * a value that is not a whole number (node-postgres would read `30s` as 30 milliseconds).
 */
export function pgTimeouts(connectionString: string, setting = 'TUGBOAT_STATE'): PgTimeouts {
  const params = new URL(connectionString).searchParams;
  const timeouts = { ...DEFAULT_TIMEOUTS };
  for (const [key, { param, unitMs }] of Object.entries(TIMEOUT_PARAMS) as Array<[keyof PgTimeouts, { param: string; unitMs: number }]>) {
    const raw = params.get(param);
    if (raw === null) continue;
    if (!/^\d+$/.test(raw)) {
      const unit = unitMs === 1 ? 'milliseconds' : 'seconds';
      throw new Error(`${setting}: ${param}=${JSON.stringify(raw)} must be a whole number of ${unit}, without a unit (e.g. ${param}=${DEFAULT_TIMEOUTS[key] / unitMs}; 0 turns it off)`);
    }
    timeouts[key] = Number(raw) * unitMs;
  }
  return timeouts;
}
