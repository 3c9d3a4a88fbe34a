/** Every executor a worker can run, by the manifest's `executor:` name. */
import { UNASSIGNED_EXECUTOR, type ServiceSpec } from '../manifest/schema';
import { PermanentDeployError } from './errors';
import { helmExecutor } from './helm';
import { httpExecutor } from './http';
import { kubectlExecutor } from './kubectl';
import { opentofuExecutor } from './opentofu';
import { shellExecutor } from './shell';
import { simulatedExecutor } from './simulated';
import type { Executor, ExecutorDependencies, ExecutorFactory } from './types';

export const EXECUTOR_FACTORIES: readonly ExecutorFactory[] = [
  simulatedExecutor,
  shellExecutor,
  opentofuExecutor,
  httpExecutor,
  kubectlExecutor,
  helmExecutor,
];

export class ExecutorRegistry {
  private readonly executors = new Map<string, Executor>();

  constructor(deps: ExecutorDependencies, factories: readonly ExecutorFactory[] = EXECUTOR_FACTORIES) {
    for (const f of factories) this.executors.set(f.name, f.create(deps));
  }

  /** Why this worker cannot run the service at all (no executor for it), with the fix; undefined when it can. */
  whyMissing(service: Pick<ServiceSpec, 'name' | 'type' | 'executor'>): { message: string; fix: string } | undefined {
    if (service.executor === UNASSIGNED_EXECUTOR) {
      return {
        message: `type ${service.type} has no executor of its own yet, and the service names none`,
        fix: 'add `executor: shell` with `config: { run: [...] }` (a script that deploys it), or `executor: simulated` for a demo',
      };
    }
    if (!this.executors.has(service.executor)) {
      return {
        message: `this worker has no executor "${service.executor}"`,
        fix: `use one of: ${[...this.executors.keys()].join(', ')}, or run a worker that has it`,
      };
    }
    return undefined;
  }

  /** Every executor's end-of-deployment cleanup; one that fails does not stop the others. */
  async cleanup(deploymentId: string): Promise<PromiseSettledResult<void>[]> {
    return Promise.allSettled([...this.executors.values()].map(async (e) => e.cleanup?.(deploymentId)));
  }

  get(name: string): Executor {
    const executor = this.executors.get(name);
    if (!executor) {
      const why = this.whyMissing({ name: '?', type: 'shell', executor: name as ServiceSpec['executor'] });
      throw new PermanentDeployError(`${why?.message ?? `no executor "${name}"`}; ${why?.fix ?? ''}`);
    }
    return executor;
  }
}
