/** Every executor a worker can run, by the manifest's `executor:` name. */
import { PermanentDeployError } from './errors';
import { simulatedExecutor } from './simulated';
import type { Executor, ExecutorDependencies, ExecutorFactory } from './types';

export const EXECUTOR_FACTORIES: readonly ExecutorFactory[] = [simulatedExecutor];

export class ExecutorRegistry {
  private readonly executors = new Map<string, Executor>();

  constructor(deps: ExecutorDependencies, factories: readonly ExecutorFactory[] = EXECUTOR_FACTORIES) {
    for (const f of factories) this.executors.set(f.name, f.create(deps));
  }

  get(name: string): Executor {
    const executor = this.executors.get(name);
    if (!executor) {
      throw new PermanentDeployError(
        `no executor "${name}" on this worker (it has: ${[...this.executors.keys()].join(', ')})`,
      );
    }
    return executor;
  }
}
