/** TUGBOAT_STATE: which store a worker or the CLI opens, and the errors a bad value gets. */
import path from 'node:path';
import { FileStateStore, openStateStore, stateStoreSetting } from '../../src/state';
import { pgTimeouts } from '../../src/state/pg/timeouts';
import { dropSchemas, testStateUrl, uniqueSchema } from '../support/postgres';

describe('TUGBOAT_STATE', () => {
  it('unset: files under TUGBOAT_HOME/state (or the directory the caller gives)', () => {
    expect(stateStoreSetting({ TUGBOAT_HOME: '/srv/tugboat' })).toEqual({ kind: 'file', dir: '/srv/tugboat/state' });
    expect(stateStoreSetting({ TUGBOAT_HOME: '/srv/tugboat', TUGBOAT_STATE: '  ' }, { fileDir: '/x' })).toEqual({ kind: 'file', dir: '/x' });
  });

  it('file:<dir> and file:// URLs', () => {
    expect(stateStoreSetting({ TUGBOAT_STATE: 'file:/var/lib/tugboat' })).toEqual({ kind: 'file', dir: '/var/lib/tugboat' });
    expect(stateStoreSetting({ TUGBOAT_STATE: 'file:///var/lib/tug%20boat' })).toEqual({ kind: 'file', dir: '/var/lib/tug boat' });
    expect(stateStoreSetting({ TUGBOAT_STATE: 'file:state' })).toEqual({ kind: 'file', dir: path.resolve('state') });
    expect(() => stateStoreSetting({ TUGBOAT_STATE: 'file:' })).toThrow(/TUGBOAT_STATE=file: names no directory/);
  });

  it('postgres://: the schema parameter (default tugboat) is taken off the connection string; other parameters stay', () => {
    expect(stateStoreSetting({ TUGBOAT_STATE: 'postgres://tug:pw@db:5432/ops?schema=blue&sslmode=require' })).toEqual({
      kind: 'postgres',
      target: { connectionString: 'postgres://tug:pw@db:5432/ops?sslmode=require', schema: 'blue' },
    });
    expect(stateStoreSetting({ TUGBOAT_STATE: 'postgresql://db/ops' })).toEqual({
      kind: 'postgres',
      target: { connectionString: 'postgresql://db/ops', schema: 'tugboat' },
    });
  });

  it('postgres://: timeouts in the URL are whole numbers (milliseconds; connect_timeout in seconds), else refused naming TUGBOAT_STATE', () => {
    expect(pgTimeouts('postgres://db/ops')).toEqual({ connectMs: 5_000, statementMs: 15_000, lockMs: 5_000, idleInTransactionMs: 30_000 });
    expect(pgTimeouts('postgres://db/ops?connect_timeout=2&statement_timeout=0&lock_timeout=100&idle_in_transaction_session_timeout=9')).toEqual({
      connectMs: 2_000,
      statementMs: 0,
      lockMs: 100,
      idleInTransactionMs: 9,
    });
    expect(() => stateStoreSetting({ TUGBOAT_STATE: 'postgres://u:hunter2@db/ops?lock_timeout=5s' })).toThrow(
      'TUGBOAT_STATE: lock_timeout="5s" must be a whole number of milliseconds, without a unit (e.g. lock_timeout=5000; 0 turns it off)',
    );
    expect(() => stateStoreSetting({ TUGBOAT_STATE: 'postgres://db/ops?connect_timeout=1.5' })).toThrow(
      'TUGBOAT_STATE: connect_timeout="1.5" must be a whole number of seconds, without a unit (e.g. connect_timeout=5; 0 turns it off)',
    );
  });

  it('refuses what it cannot use, naming TUGBOAT_STATE, the fix and examples, and never the password', () => {
    const refusal = (value: string) => {
      try {
        stateStoreSetting({ TUGBOAT_STATE: value });
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error(`accepted ${value}`);
    };
    expect(refusal('mysql://u:pw@db/x')).toMatch(/^TUGBOAT_STATE must be a postgres:\/\/ URL or file:<dir>; "mysql:" is not a state store \(e\.g\. TUGBOAT_STATE=postgres:\/\//);
    expect(refusal('/var/lib/tugboat')).toMatch(/^TUGBOAT_STATE must be a postgres:\/\/ URL or file:<dir>; it has no scheme/);
    expect(refusal('postgres://u:hunter2@db/x?schema=Bad-Name')).toMatch(/^TUGBOAT_STATE: schema="Bad-Name" is not a usable schema name: lowercase letters/);
    const notUrl = refusal('postgres://u:hunter2@[db/x');
    expect(notUrl).toMatch(/^TUGBOAT_STATE is not a valid URL: "postgres:\/\/u:\*\*\*@\[db\/x"/);
    for (const message of [refusal('mysql://u:hunter2@db/x'), notUrl, refusal('postgres://u:hunter2@db/x?schema=Bad-Name')]) {
      expect(message).not.toContain('hunter2');
    }
  });

  it('opens the file store, or PostgreSQL with what executors need (connection string and schema)', async () => {
    const files = await openStateStore({ TUGBOAT_HOME: '/tmp/tugboat-open-store' });
    expect(files.store).toBeInstanceOf(FileStateStore);
    expect(files.postgres).toBeUndefined();

    const schema = uniqueSchema();
    try {
      const opened = await openStateStore({ TUGBOAT_STATE: testStateUrl(schema) });
      expect(opened.postgres).toEqual({ connectionString: expect.not.stringContaining('schema='), schema });
      expect(opened.store.location).toContain(`schema=${schema}`);
      await opened.store.close();
    } finally {
      await dropSchemas(schema);
    }
  });
});
