/**
 * Which state store a process uses, from TUGBOAT_STATE: files under TUGBOAT_HOME/state (the
 * default, one machine), `file:<dir>`, or `postgres://…[?schema=name]` (several machines).
 * Workers and the CLI both open it here, so they always agree.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stateDir } from '../system/paths';
import { FileStateStore } from './file-store';
import { PgStateStore } from './pg/pg-store';
import { parsePostgresUrl, type PostgresTarget } from './pg/target';
import type { StateStore } from './types';

export const STATE_STORE_ENV = 'TUGBOAT_STATE';

const EXAMPLES =
  'e.g. TUGBOAT_STATE=postgres://tugboat:secret@db.internal:5432/tugboat?schema=tugboat, TUGBOAT_STATE=file:/var/lib/tugboat/state, or unset for files under TUGBOAT_HOME/state';

export type StateStoreSetting = { kind: 'file'; dir: string } | { kind: 'postgres'; target: PostgresTarget };

export interface OpenStateStoreOptions {
  /** The file store's directory when TUGBOAT_STATE is unset (default: <TUGBOAT_HOME>/state). */
  fileDir?: string;
}

export interface OpenedStateStore {
  store: StateStore;
  /** Set for PostgreSQL: what executors with state of their own use (ExecutorDependencies.postgres). */
  postgres?: PostgresTarget;
}

/** What TUGBOAT_STATE asks for, checked without connecting; throws an Error naming TUGBOAT_STATE and examples. */
export function stateStoreSetting(env: NodeJS.ProcessEnv = process.env, opts: OpenStateStoreOptions = {}): StateStoreSetting {
  const raw = env[STATE_STORE_ENV]?.trim();
  if (!raw) return { kind: 'file', dir: opts.fileDir ?? stateDir(env) };
  if (/^postgres(ql)?:/i.test(raw)) return { kind: 'postgres', target: parsePostgresUrl(raw, STATE_STORE_ENV) };
  if (raw.startsWith('file:')) {
    const dir = raw.startsWith('file://') ? fileUrlPath(raw) : raw.slice('file:'.length);
    if (!dir) throw new Error(`${STATE_STORE_ENV}=file: names no directory (${EXAMPLES})`);
    return { kind: 'file', dir: path.resolve(dir) };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw)?.[1];
  throw new Error(
    `${STATE_STORE_ENV} must be a postgres:// URL or file:<dir>; ${scheme ? `"${scheme}:" is not a state store` : 'it has no scheme'} (${EXAMPLES})`,
  );
}

/**
 * Opens the state store TUGBOAT_STATE names. PostgreSQL: connects and migrates the schema (under
 * an advisory lock) before returning. Close the store when done.
 */
export async function openStateStore(env: NodeJS.ProcessEnv = process.env, opts: OpenStateStoreOptions = {}): Promise<OpenedStateStore> {
  const setting = stateStoreSetting(env, opts);
  if (setting.kind === 'file') return { store: new FileStateStore(setting.dir) };
  return { store: await PgStateStore.open(setting.target), postgres: setting.target };
}

function fileUrlPath(raw: string): string {
  try {
    return fileURLToPath(raw);
  } catch (err) {
    throw new Error(`${STATE_STORE_ENV}: ${(err as Error).message} (${EXAMPLES})`);
  }
}
