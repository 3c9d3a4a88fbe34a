import type { Command } from 'commander';
import { connectWorkerConnection, temporalTarget } from '../../client/connection';
import { createTugboatWorker } from '../../worker';
import { workerSettingsFromEnv } from '../../worker/config';
import { installWorkerLogging } from '../../worker/logging';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('Run a Tugboat worker: deployment and service workflows and the executor activities.')
    .option('--task-queue <name>', 'task queue to poll (env TUGBOAT_TASK_QUEUE, default "tugboat")')
    .option('--sim-cloud <url>', 'simulated cloud URL (env TUGBOAT_SIMCLOUD_URL, default http://127.0.0.1:4780)')
    .addHelpText(
      'after',
      '\nConnects like every Temporal tool (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key).\nRun several for capacity or availability; a killed worker\'s steps are retried by another.\nStops cleanly on Ctrl-C or SIGTERM (in-flight steps are finished or handed back).',
    )
    .action(async (opts: { taskQueue?: string; simCloud?: string }) => {
      const settings = workerSettingsFromEnv({
        ...process.env,
        ...(opts.taskQueue ? { TUGBOAT_TASK_QUEUE: opts.taskQueue } : {}),
        ...(opts.simCloud ? { TUGBOAT_SIMCLOUD_URL: opts.simCloud } : {}),
      });
      installWorkerLogging('INFO');
      const target = temporalTarget();
      const connection = await connectWorkerConnection();
      try {
        const worker = await createTugboatWorker({
          connection,
          namespace: target.namespace,
          ...settings,
          workflowBundle: process.env.TUGBOAT_WORKFLOW_BUNDLE ? { codePath: process.env.TUGBOAT_WORKFLOW_BUNDLE } : undefined,
        });
        process.stdout.write(
          `worker polling task queue "${settings.taskQueue}" on ${target.address} (namespace ${target.namespace}); sim cloud ${settings.simCloudUrl}\n`,
        );
        // Worker.run installs SIGINT/SIGTERM handlers that shut it down gracefully.
        await worker.run();
      } finally {
        await connection.close();
      }
    });
}
