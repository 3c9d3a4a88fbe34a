/**
 * Every scenario, in the order the runner runs them (4 reuses 1, 3 and 5's deployments; 8 compares
 * with 5), and the order the table lists them (by id).
 */
import type { Scenario } from '../lib/types';
import { scenario as makespan } from './makespan';
import { scenario as eagerWaves } from './eager-waves';
import { scenario as overhead } from './overhead';
import { scenario as historyCost } from './history-cost';
import { scenario as scale } from './scale';
import { scenario as concurrency } from './concurrency';
import { scenario as cliFollow } from './cli-follow';

/** Scenario 7 lives in real-tools.ts, written separately; until it exists the table says so. */
function realTools(): Scenario {
  try {
    return (require('./real-tools') as { scenario: Scenario }).scenario;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !String((err as Error).message).includes('real-tools')) throw err;
    return {
      id: '7',
      title: 'Real tools (shell and OpenTofu no-ops)',
      run: async () => {
        throw new Error('bench/scenarios/real-tools.ts is not there yet');
      },
    };
  }
}

export function allScenarios(): Scenario[] {
  return [makespan, eagerWaves, overhead, scale, historyCost, concurrency, realTools(), cliFollow];
}
