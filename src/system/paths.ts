/** Where Tugboat keeps its state and caches. Pure functions of the environment, so tests can redirect them. */
import os from 'node:os';
import path from 'node:path';
import { TEMPORAL_CLI_VERSION } from '../server/temporal-version';

/** Tugboat's state (dev server database, logs): TUGBOAT_HOME, else .tugboat in the working directory. */
export function tugboatHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.TUGBOAT_HOME || path.join(process.cwd(), '.tugboat');
}

/** The state store's directory (rollback manifests, intent ledger, deployment records). */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(tugboatHome(env), 'state');
}

/** The simulated cloud's state file when Tugboat runs it (sim-cloud, up). */
export function simCloudStateFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(tugboatHome(env), 'simcloud.json');
}

/** The per-user cache root, following the XDG convention. */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
}

/**
 * Where the Temporal CLI built from source is kept; versioned so an upgrade never reuses an old build.
 */
export function temporalCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(userCacheDir(env), 'tugboat', `temporal-${TEMPORAL_CLI_VERSION}`);
}
