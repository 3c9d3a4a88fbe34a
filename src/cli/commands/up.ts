import type { Command } from 'commander';
import { deployAndWatch } from '../deploy-flow';
import { onInterrupt } from '../interrupt';
import { startLocalStack } from '../local-stack';
import { loadAndPlan } from '../manifest-input';
import { renderPlan } from '../../plan';
import { findTofu } from '../../tools/tofu';
import type { Manifest } from '../../manifest/schema';

/**
 * `up` is the demo path: like the Temporal CLI, OpenTofu is found or built once into the cache when
 * the manifest needs it, and handed to the embedded worker. If that fails, the preflight says so.
 */
async function provideTofu(manifest: Manifest, print: (line: string) => void): Promise<void> {
  if (!manifest.deployment.services.some((s) => s.executor === 'opentofu')) return;
  try {
    process.env.TUGBOAT_TOFU_PATH = await findTofu({ log: print });
  } catch (err) {
    print(`OpenTofu is not available: ${(err as Error).message}`);
  }
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('The whole thing locally: Temporal dev server + simulated cloud + worker (and OpenTofu when the manifest needs it), then deploy and follow.')
    .argument('<manifest>', 'deployment manifest (YAML or JSON)')
    .option('--task-queue <name>', 'task queue for the embedded worker', 'tugboat')
    .addHelpText(
      'after',
      '\nExamples:\n  tugboat up examples/ecommerce.yaml                 (what `npm start` runs: the simulated cloud)\n  tugboat up examples/platform/release.yaml          (real OpenTofu, scripts and HTTP)\n  tugboat up examples/platform/release-failure.yaml  (fails, then rolls all of it back)\n\nEverything it started is stopped at the end. Ctrl-C detaches: the deployment is not cancelled;\nit resumes the next time a worker runs against the same server (data in TUGBOAT_HOME).',
    )
    .action(async (path: string, opts: { taskQueue: string }) => {
      const print = (line: string) => process.stdout.write(`${line}\n`);
      const loaded = await loadAndPlan(path);
      print(renderPlan(loaded.manifest, loaded.plan));
      print('');
      await provideTofu(loaded.manifest, print);
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
