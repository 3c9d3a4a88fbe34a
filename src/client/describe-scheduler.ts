/**
 * Which running child workflows a watcher describes on this poll. Describing a child is the only
 * way to see a retrying step (server-side activity retries are invisible to workflow code), but
 * one describe per running child per poll is thousands of requests a second for a large
 * deployment. Most steps end on their first attempt within a second or two, so a child is only
 * described once it has been running a while, then at most every few seconds, and never more
 * than a handful per poll — the least recently described first, so every child gets its turn.
 *
 * Pure: times come in as arguments, so it is tested without a server.
 */

export interface DescribePolicy {
  /** A child is first described once this watcher has seen it RUNNING for this long. */
  firstAfterMs: number;
  /** Then again at most this often. */
  everyMs: number;
  /** At most this many describes per poll, round-robin across the due children. */
  maxPerPoll: number;
}

export const WATCH_DESCRIBE_POLICY: DescribePolicy = { firstAfterMs: 2_500, everyMs: 5_000, maxPerPoll: 8 };

export class DescribeScheduler {
  private readonly firstSeen = new Map<string, number>();
  private readonly lastDescribed = new Map<string, number>();

  constructor(readonly policy: DescribePolicy = WATCH_DESCRIBE_POLICY) {}

  /**
   * The children (workflow IDs) to describe now, out of those running now; records them as
   * described at `now`. A child missing from `running` is forgotten: should it run again, its
   * wait starts over.
   */
  select(running: readonly string[], now: number): string[] {
    const current = new Set(running);
    for (const id of [...this.firstSeen.keys()]) {
      if (!current.has(id)) {
        this.firstSeen.delete(id);
        this.lastDescribed.delete(id);
      }
    }
    const due: Array<{ id: string; last: number; first: number }> = [];
    for (const id of current) {
      let first = this.firstSeen.get(id);
      if (first === undefined) this.firstSeen.set(id, (first = now));
      if (now - first < this.policy.firstAfterMs) continue;
      const last = this.lastDescribed.get(id);
      if (last !== undefined && now - last < this.policy.everyMs) continue;
      due.push({ id, last: last ?? -Infinity, first });
    }
    // Never described before all others, then the longest since its last describe; ties by age.
    due.sort((a, b) => compare(a.last, b.last) || compare(a.first, b.first) || compare(a.id, b.id));
    const chosen = due.slice(0, Math.max(0, this.policy.maxPerPoll)).map((d) => d.id);
    for (const id of chosen) this.lastDescribed.set(id, now);
    return chosen;
  }
}

const compare = <T extends number | string>(a: T, b: T): number => (a < b ? -1 : a > b ? 1 : 0);
