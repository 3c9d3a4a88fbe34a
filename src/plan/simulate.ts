/**
 * What a plan would take on an idle system: an event-driven simulation of the deployment
 * workflow's scheduling with zero overhead (a service occupies its slot for exactly its duration,
 * starting takes no time, nothing fails). Pure and deterministic.
 *
 * The default policy asks the real `nextServicesToStart` — the function the workflow asks — at
 * every instant, so the simulation cannot drift from what a deployment does. 'fifo' keeps the same
 * eligibility rules (it asks the same function which services may start) but hands the slots out
 * in the order services became eligible, to measure what longest-path-first buys.
 */
import type { StrategySpec } from '../manifest/schema';
import { nextServicesToStart, startPriority } from './schedule';
import type { Plan } from './types';

export type SchedulingPolicy = 'longest-path-first' | 'fifo';

export interface SimulateOptions {
  /** longest-path-first (default): the workflow's own choice. fifo: first eligible, first started, then plan.order. */
  policy?: SchedulingPolicy;
  /**
   * Actual durations, by service (missing ones: plan.durationMs). The priorities stay the plan's
   * remainingMs, as in a deployment whose services take longer or shorter than planned.
   */
  durationMs?: Record<string, number>;
}

export interface SimulationResult {
  /** When the last service ended (0 for a plan with no services). */
  makespanMs: number;
  startMs: Record<string, number>;
  endMs: Record<string, number>;
}

/**
 * The physical limit no schedule beats: a chain of dependent services cannot overlap, so nothing
 * ends before the critical path; and maxParallel slots do at most maxParallel ms of work per ms,
 * so nothing ends before the total work spread over every slot. (Not always reachable: the second
 * term assumes the work can be spread perfectly, which dependencies may forbid.)
 */
export function lowerBoundMs(plan: Pick<Plan, 'criticalPathMs' | 'serialSumMs'>, maxParallel: number): number {
  if (!(maxParallel >= 1)) throw new RangeError(`maxParallel must be ≥ 1, got ${maxParallel}`);
  return Math.max(plan.criticalPathMs, plan.serialSumMs / maxParallel);
}

/** A binary min-heap under `before` (a strict "comes first" test). */
class Heap<T> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i], items[parent])) break;
      [items[parent], items[i]] = [items[i], items[parent]];
      i = parent;
    }
  }

  pop(): T {
    const items = this.items;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let first = i;
        if (l < items.length && this.before(items[l], items[first])) first = l;
        if (r < items.length && this.before(items[r], items[first])) first = r;
        if (first === i) break;
        [items[first], items[i]] = [items[i], items[first]];
        i = first;
      }
    }
    return top;
  }
}

/**
 * Start what the scheduler says at time t, advance to the next completion (everything ending at
 * that instant completes together), ask again; until every service ended.
 *
 * To stay O(N log N) the simulation keeps the eligible services itself (eager: every dependency
 * succeeded; waves: also in the open wave), in a heap ordered by the scheduler's own
 * `startPriority` (longest-path-first) or in a queue by the time they became eligible (fifo), and
 * asks `nextServicesToStart` about a narrowed view of the plan: `order` holds only the services it
 * would pick (the first free-slots of them), and a wave all of whose services succeeded is an empty
 * array. The scheduler answers for that view as it would for the full plan (it takes the first
 * free-slots eligible services by that same total order); it must accept every candidate, or the
 * simulation throws rather than drift, and a test compares the result with a plain simulation that
 * asks about the full plan at every instant.
 */
export function simulateSchedule(
  plan: Plan,
  strategy: Pick<StrategySpec, 'max_parallel' | 'execution'>,
  opts: SimulateOptions = {},
): SimulationResult {
  const policy = opts.policy ?? 'longest-path-first';
  if (!Number.isInteger(strategy.max_parallel) || strategy.max_parallel < 1) {
    throw new RangeError(`max_parallel must be an integer ≥ 1, got ${strategy.max_parallel}`);
  }
  const durationOf: Record<string, number> = {};
  for (const name of plan.order) {
    const ms = opts.durationMs?.[name] ?? plan.durationMs[name];
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`duration of ${JSON.stringify(name)} must be a finite number ≥ 0, got ${ms}`);
    durationOf[name] = ms;
  }
  const position = new Map(plan.order.map((name, i) => [name, i]));
  const waves = strategy.execution === 'waves';

  // Eligible, not started: by priority (longest-path-first) or first come, then plan order (fifo).
  const byPriority = new Heap<string>((a, b) => startPriority(plan, a, b) < 0);
  const fifo: string[] = [];
  let fifoHead = 0;
  const eligibleNow = (names: string[]): void => {
    if (policy === 'longest-path-first') for (const name of names) byPriority.push(name);
    else fifo.push(...names.sort((a, b) => position.get(a)! - position.get(b)!));
  };
  const eligibleCount = () => (policy === 'longest-path-first' ? byPriority.size : fifo.length - fifoHead);
  const takeEligible = () => (policy === 'longest-path-first' ? byPriority.pop() : fifo[fifoHead++]);

  const depsLeft = new Map(plan.order.map((name) => [name, plan.dependencies[name].length]));
  const waveLeft = plan.waves.map((wave) => wave.length);
  const wavesView = [...plan.waves];
  const view: Plan = { ...plan, order: [], waves: wavesView };
  if (waves) eligibleNow([...(plan.waves[0] ?? [])]);
  else eligibleNow(plan.order.filter((name) => depsLeft.get(name) === 0));

  const succeeded = new Set<string>();
  const started = new Set<string>();
  const startMs: Record<string, number> = {};
  const endMs: Record<string, number> = {};
  const running = new Heap<{ end: number; name: string }>((a, b) => a.end < b.end);

  let t = 0;
  let makespanMs = 0;
  for (;;) {
    const slots = strategy.max_parallel - running.size;
    const candidates: string[] = [];
    while (candidates.length < slots && eligibleCount() > 0) candidates.push(takeEligible());
    if (candidates.length > 0) {
      view.order = candidates;
      // fifo: the scheduler only vets the candidates (a slot for each); the queue chose them.
      const asked = policy === 'fifo' ? { ...strategy, max_parallel: running.size + candidates.length } : strategy;
      const chosen = nextServicesToStart(view, { succeeded, started, running: running.size }, asked);
      const offered = new Set(candidates);
      if (chosen.length !== candidates.length || !chosen.every((name) => offered.has(name))) {
        throw new Error(
          `simulateSchedule: nextServicesToStart chose [${chosen.join(', ')}] of the candidates [${candidates.join(', ')}]; ` +
            'its rules changed and this simulation no longer follows them',
        );
      }
      for (const name of candidates) {
        started.add(name);
        startMs[name] = t;
        endMs[name] = t + durationOf[name];
        running.push({ end: endMs[name], name });
      }
    }
    if (running.size === 0) break;
    t = running.peek().end;
    makespanMs = t;
    const nowEligible: string[] = [];
    while (running.size > 0 && running.peek().end === t) {
      const { name } = running.pop();
      succeeded.add(name);
      if (!waves) {
        for (const next of plan.dependents[name]) {
          const left = depsLeft.get(next)! - 1;
          depsLeft.set(next, left);
          if (left === 0) nowEligible.push(next);
        }
      }
      const wave = plan.waveOf[name];
      if (--waveLeft[wave] === 0) {
        wavesView[wave] = [];
        // Waves complete in order; the next one opens with every dependency of its services done.
        if (waves && wave + 1 < plan.waves.length) nowEligible.push(...plan.waves[wave + 1]);
      }
    }
    eligibleNow(nowEligible);
  }
  if (succeeded.size !== plan.order.length) {
    const stuck = plan.order.filter((name) => !succeeded.has(name));
    throw new Error(`simulateSchedule: ${stuck.length} service(s) never started, e.g. ${stuck.slice(0, 5).join(', ')}: is the plan complete?`);
  }
  return { makespanMs, startMs, endMs };
}
