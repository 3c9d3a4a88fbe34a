import type { Command } from 'commander';
import { connectClient, connectWorkerConnection, temporalTarget } from '../../client/connection';
import { SearchAttributesMissingError, SearchAttributeTypeError } from '../../client/search-attributes-errors';
import { ensureSearchAttributes } from '../../client/search-attributes-setup';
import { createTugboatWorker } from '../../worker';
import { workerSettingsFromEnv } from '../../worker/config';
import { installWorkerLogging } from '../../worker/logging';
import { runUntilSignalled } from '../../worker/shutdown';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('Run a Tugboat worker: deployment and service workflows and the executor activities.')
    .option('--task-queue <name>', 'task queue to poll (env TUGBOAT_TASK_QUEUE, default "tugboat")')
    .option('--sim-cloud <url>', 'simulated cloud URL (env TUGBOAT_SIMCLOUD_URL, default http://127.0.0.1:4780)')
    .option('--grace <duration>', 'on SIGTERM/Ctrl-C, how long in-flight steps may finish before they are handed back (env TUGBOAT_WORKER_GRACE, default 30s)')
    .addHelpText(
      'after',
      '\nConnects like every Temporal tool (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key).\nRun several for capacity or availability; a killed worker\'s steps are retried by another.\nStops cleanly on Ctrl-C or SIGTERM: polls no more, lets in-flight steps finish within --grace,\nthen hands the rest back to another worker without spending one of their attempts.',
    )
    .action(async (opts: { taskQueue?: string; simCloud?: string; grace?: string }) => {
      const settings = workerSettingsFromEnv({
        ...process.env,
        ...(opts.taskQueue ? { TUGBOAT_TASK_QUEUE: opts.taskQueue } : {}),
        ...(opts.simCloud ? { TUGBOAT_SIMCLOUD_URL: opts.simCloud } : {}),
        ...(opts.grace ? { TUGBOAT_WORKER_GRACE: opts.grace } : {}),
      });
      // runUntilSignalled handles SIGINT/SIGTERM (and says what happens to in-flight steps).
      installWorkerLogging('INFO', process.env, false);
      const target = temporalTarget();
      await checkSearchAttributes();
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
        await runUntilSignalled(worker, { graceMs: settings.shutdownGraceMs ?? 0 });
      } finally {
        await connection.close();
      }
    });
}

/**
 * The same check as `tugboat setup`, so a fresh cluster works without a separate step. When it
 * cannot add them (or the check itself fails) it only warns: polling does not need them, workflows
 * started later (once someone added them) will run here, and a deploy before that fails with this
 * same message.
 */
async function checkSearchAttributes(): Promise<void> {
  const client = await connectClient();
  try {
    const { namespace, added } = await ensureSearchAttributes(client.connection, client.options.namespace);
    if (added.length > 0) process.stdout.write(`registered search attributes ${added.join(', ')} in namespace ${namespace}\n`);
  } catch (err) {
    const typed = err instanceof SearchAttributesMissingError || err instanceof SearchAttributeTypeError;
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`warning: ${typed ? message : `could not check Tugboat's search attributes: ${message}`}\n`);
  } finally {
    await client.connection.close();
  }
}
