/**
 * Durations learned from an environment's deployment records in the state store: what `plan`
 * shows and what the live view's ETA and critical path use once history exists.
 */
import { learnedDurations, learnedHistory, type LearnedHistory } from '../plan/learned-durations';
import type { StateStore } from '../state';
import { localStateStore } from './local-store';

/**
 * Per service of `name` in `environment`, the median duration (ms) of its last successful runs;
 * empty when the environment has no history. `store` defaults to the one under TUGBOAT_HOME.
 */
export async function loadLearnedDurations(name: string, environment: string, store: StateStore = localStateStore()): Promise<Record<string, number>> {
  return learnedDurations(await store.listDeploymentRecords({ name, environment }));
}

/** The same with how many runs each median is of and how many records were read (for `plan`). */
export async function loadLearnedHistory(name: string, environment: string, store: StateStore = localStateStore()): Promise<LearnedHistory> {
  return learnedHistory(await store.listDeploymentRecords({ name, environment }));
}
