import type { Command } from 'commander';
import { connectClient, temporalTarget } from '../../client/connection';
import { taskQueueFromEnv } from '../../worker/config';
import { deployAndWatch } from '../deploy-flow';
import { loadAndPlan } from '../manifest-input';
import { onInterrupt } from '../interrupt';
import { defaultUiBase } from '../web-ui';

export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description('Start a deployment on Temporal and follow it until it ends (a worker must be running: tugboat worker).')
    .argument('<manifest>', 'deployment manifest (YAML or JSON)')
    .option('--detach', 'print the deployment ID and return at once')
    .option('--json', 'print the final status (or, with --detach, the IDs) as JSON')
    .option('--task-queue <name>', 'task queue of the Tugboat workers (env TUGBOAT_TASK_QUEUE)')
    .option('--no-preflight', 'skip the check, on a worker, that every executor, binary, module, script and secret is there')
    .option('--plain', 'print each transition as a line, even on a terminal (no live view)')
    .addHelpText(
      'after',
      `
Connection: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
TEMPORAL_TLS_* and temporal.toml profiles, as every Temporal tool reads them.

Examples:
  tugboat deploy examples/ecommerce.yaml
  tugboat deploy examples/ecommerce.yaml --detach --json

Before anything starts, a worker of the task queue runs a preflight: each service's executor is
there, tofu is found, modules and scripts exist, every secret reference resolves. Every problem is
listed with its path and fix, and nothing is started (exit 3). --no-preflight skips it.

On a terminal it shows a live view, redrawn in place: the phase, the waves, each service's state,
attempt and elapsed time, the critical path left and the ETA. Plain lines otherwise (not a
terminal, --plain, TERM=dumb, or CI set).

Exit codes: 0 succeeded (or detached), 1 failed (and rolled back), 2 invalid manifest,
3 refused (environment locked, preflight problems, no worker), 4 rollback blocked or orphans left.
Ctrl-C stops watching; the deployment goes on.`,
    )
    .action(async (path: string, opts: { detach?: boolean; json?: boolean; taskQueue?: string; preflight: boolean; plain?: boolean }) => {
      const loaded = await loadAndPlan(path);
      const client = await connectClient();
      try {
        const { exitCode } = await deployAndWatch({
          client,
          loaded,
          taskQueue: opts.taskQueue ?? taskQueueFromEnv(),
          detach: opts.detach,
          json: opts.json,
          uiBase: defaultUiBase(temporalTarget().address),
          print: (line) => process.stdout.write(`${line}\n`),
          stop: onInterrupt(),
          preflight: opts.preflight,
          live: !opts.plain,
        });
        process.exitCode = exitCode;
      } finally {
        await client.connection.close();
      }
    });
}
