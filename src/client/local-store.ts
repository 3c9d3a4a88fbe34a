/** The state store the CLI reads: the one the worker writes by default, <TUGBOAT_HOME>/state. */
import { FileStateStore, type StateStore } from '../state';
import { stateDir } from '../system/paths';

export function localStateStore(env: NodeJS.ProcessEnv = process.env): StateStore {
  return new FileStateStore(stateDir(env));
}
