/**
 * Durations learned from an environment's past deployments: per service, the median of its last
 * few successful runs (endedAt − startedAt from the deployment records). What `plan`, the live
 * view's ETA and its critical path weigh services by once history exists. Pure: no I/O.
 */

/** The part of a deployment record this reads (a DeploymentRecord fits). */
export interface TimedRun {
  deploymentId: string;
  startedAt: string;
  services: Record<string, { state: string; startedAt?: string; endedAt?: string }>;
}

/** A service's learned duration and how many runs it is the median of. */
export interface LearnedDuration {
  ms: number;
  runs: number;
}

/** How many of a service's most recent successful runs count: recent enough to follow changes, enough to shrug off one slow run. */
export const LEARNED_RUNS = 5;

/**
 * Per service, the median duration of its last `runs` successful runs (state SUCCEEDED with both
 * times; UNCHANGED runs did no work and do not count). Services with no such run are absent.
 * Records may come in any order: the newest (by startedAt, then deployment ID) count.
 */
export function learnedDurationStats(records: readonly TimedRun[], runs: number = LEARNED_RUNS): Record<string, LearnedDuration> {
  const newest = [...records].sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.deploymentId.localeCompare(a.deploymentId));
  const samples = new Map<string, number[]>();
  for (const record of newest) {
    for (const [service, s] of Object.entries(record.services ?? {})) {
      const ms = runDuration(s);
      if (ms === undefined) continue;
      const list = samples.get(service) ?? [];
      if (list.length < runs) list.push(ms);
      samples.set(service, list);
    }
  }
  const stats: Record<string, LearnedDuration> = {};
  for (const [service, list] of [...samples].sort(([a], [b]) => a.localeCompare(b))) {
    stats[service] = { ms: median(list), runs: list.length };
  }
  return stats;
}

/** Per service, the median of its last few successful runs, in ms (see learnedDurationStats). */
export function learnedDurations(records: readonly TimedRun[], runs: number = LEARNED_RUNS): Record<string, number> {
  return Object.fromEntries(Object.entries(learnedDurationStats(records, runs)).map(([service, s]) => [service, s.ms]));
}

function runDuration(s: { state: string; startedAt?: string; endedAt?: string }): number | undefined {
  if (s.state !== 'SUCCEEDED' || !s.startedAt || !s.endedAt) return undefined;
  const ms = Date.parse(s.endedAt) - Date.parse(s.startedAt);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return Math.round(sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2);
}

/** What an environment's history says about durations: per service, and from how many deployment records. */
export interface LearnedHistory {
  deployments: number;
  services: Record<string, LearnedDuration>;
}

/** learnedDurationStats with the number of records it read. */
export function learnedHistory(records: readonly TimedRun[], runs: number = LEARNED_RUNS): LearnedHistory {
  return { deployments: records.length, services: learnedDurationStats(records, runs) };
}
