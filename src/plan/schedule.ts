/**
 * The scheduler the deployment workflow consults whenever a service finishes: which services to
 * start now. Pure and deterministic (same state, same answer), as workflow replay requires.
 */
import type { StrategySpec } from '../manifest/schema';
import type { Plan } from './types';

export interface ScheduleState {
  succeeded: ReadonlySet<string>;
  /** Every service ever started, whatever its outcome. */
  started: ReadonlySet<string>;
  /** Services running right now. */
  running: number;
  /**
   * Services that will not run (failed or skipped under on_failure continue): a wave counts as
   * done without them, so later waves are not held up forever.
   */
  settled?: ReadonlySet<string>;
}

/**
 * Services to start now, at most max_parallel - running of them, longest remaining path first
 * (then by name) so that a scarce slot goes to what the most work is waiting on.
 * eager: every dependency succeeded. waves: additionally every earlier wave fully succeeded.
 */
/** Every direct dependency of `name` has succeeded: the service may start (slots and waves aside). */
export function dependenciesSucceeded(plan: Plan, name: string, succeeded: ReadonlySet<string>): boolean {
  return plan.dependencies[name].every((dep) => succeeded.has(dep));
}

export function nextServicesToStart(
  plan: Plan,
  state: ScheduleState,
  strategy: Pick<StrategySpec, 'max_parallel' | 'execution'>,
): string[] {
  const slots = strategy.max_parallel - state.running;
  if (slots <= 0) return [];
  const openWave = plan.waves.findIndex((wave) => wave.some((name) => !state.succeeded.has(name) && !state.settled?.has(name)));
  const ready = plan.order.filter(
    (name) =>
      !state.started.has(name) &&
      !state.succeeded.has(name) &&
      dependenciesSucceeded(plan, name, state.succeeded) &&
      (strategy.execution !== 'waves' || plan.waveOf[name] <= openWave),
  );
  ready.sort((a, b) => startPriority(plan, a, b));
  return ready.slice(0, slots);
}

/**
 * The order in which ready services get the free slots (a comparator): longest remaining path
 * first, then by name. A total order, so the choice never depends on the order services were
 * listed in. Shared with the planning simulation (simulate.ts), which keeps ready services sorted
 * by it.
 */
export function startPriority(plan: Pick<Plan, 'remainingMs'>, a: string, b: string): number {
  return plan.remainingMs[b] - plan.remainingMs[a] || (a < b ? -1 : a > b ? 1 : 0);
}
