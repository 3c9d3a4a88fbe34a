import type { Command } from 'commander';
import { deployAndWatch } from '../deploy-flow';
import { onInterrupt } from '../interrupt';
import { startLocalStack } from '../local-stack';
import { loadAndPlan } from '../manifest-input';
import { renderPlan } from '../../plan';

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('The whole thing locally: Temporal dev server + simulated cloud + worker, then deploy and follow.')
    .argument('<manifest>', 'deployment manifest (YAML or JSON)')
    .option('--task-queue <name>', 'task queue for the embedded worker', 'tugboat')
    .addHelpText(
      'after',
      '\nExample:\n  tugboat up examples/ecommerce.yaml      (what `npm start` runs)\n\nEverything it started is stopped at the end. Ctrl-C detaches: the deployment is not cancelled;\nit resumes the next time a worker runs against the same server (data in TUGBOAT_HOME).',
    )
    .action(async (path: string, opts: { taskQueue: string }) => {
      const print = (line: string) => process.stdout.write(`${line}\n`);
      const loaded = await loadAndPlan(path);
      print(renderPlan(loaded.manifest, loaded.plan));
      print('');
      const stack = await startLocalStack({ print, taskQueue: opts.taskQueue });
      try {
        print('');
        const { exitCode } = await deployAndWatch({
          client: stack.client,
          loaded,
          taskQueue: stack.taskQueue,
          uiBase: stack.uiUrl,
          print,
          stop: Promise.race([onInterrupt(), stack.workerStopped]),
          followIfLocked: true,
        });
        process.exitCode = exitCode;
      } finally {
        await stack.stop();
      }
    });
}
