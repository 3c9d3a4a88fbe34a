/**
 * The state store the CLI reads: the one the workers write, as TUGBOAT_STATE names it (files
 * under <TUGBOAT_HOME>/state by default, or PostgreSQL). Opened per command and closed after it,
 * so a PostgreSQL pool never keeps the CLI from exiting.
 */
import { openStateStore, type StateStore } from '../state';

/** Opens the store; the caller closes it. */
export async function openLocalStateStore(env: NodeJS.ProcessEnv = process.env): Promise<StateStore> {
  return (await openStateStore(env)).store;
}

/** Runs `use` with the store open, and closes it afterwards whatever happened. */
export async function withLocalStateStore<T>(use: (store: StateStore) => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const store = await openLocalStateStore(env);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}
