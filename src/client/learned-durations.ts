/**
 * Durations learned from an environment's deployment records in the state store: what `plan`
 * shows and what the live view's ETA and critical path use once history exists.
 */
import { learnedDurations, learnedHistory, type LearnedHistory } from '../plan/learned-durations';
import type { EnvironmentKey, StateStore } from '../state';
import { withLocalStateStore } from './local-store';

/**
 * Per service of `name` in `environment`, the median duration (ms) of its last successful runs;
 * empty when the environment has no history. `store` defaults to the one the workers write (TUGBOAT_STATE).
 */
export async function loadLearnedDurations(name: string, environment: string, store?: StateStore): Promise<Record<string, number>> {
  return learnedDurations(await recordsOf({ name, environment }, store));
}

/** The same with how many runs each median is of and how many records were read (for `plan`). */
export async function loadLearnedHistory(name: string, environment: string, store?: StateStore): Promise<LearnedHistory> {
  return learnedHistory(await recordsOf({ name, environment }, store));
}

function recordsOf(key: EnvironmentKey, store: StateStore | undefined) {
  return store ? store.listDeploymentRecords(key) : withLocalStateStore((local) => local.listDeploymentRecords(key));
}
