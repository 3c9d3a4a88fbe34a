import type { Command } from 'commander';
import { connectClient, connectWorkerConnection, temporalTarget } from '../../client/connection';
import { SearchAttributesMissingError, SearchAttributeTypeError } from '../../client/search-attributes-errors';
import { ensureSearchAttributes } from '../../client/search-attributes-setup';
import { dataConverterFromEnv } from '../../codec';
import { createTugboatWorker, defaultWorkflowBundle, type PolledQueue } from '../../worker';
import { workerSettingsFromEnv, WorkerSettingsError, type WorkerSettings } from '../../worker/config';
import { installWorkerLogging } from '../../worker/logging';
import { describePolledQueue } from '../../worker/queues';
import { runUntilSignalled } from '../../worker/shutdown';
import { openStateStore, stateStoreSetting } from '../../state';
import { CliError, ExitCode } from '../exit-codes';

interface WorkerFlags {
  taskQueue?: string;
  queues?: string;
  rate?: string;
  metrics?: string;
  simCloud?: string;
  grace?: string;
}

const HELP = `
Task queues:
  A worker polls task queues: it asks the Temporal server for work on each, and the server hands a
  task to one of the workers polling that queue. The deployment and service workflows run on the
  main queue (--task-queue, default "tugboat"); each service's steps (apply, verify, compensate)
  run on its specialty's queue, "<main>-<specialty>": by executor, shell → tugboat-shell,
  opentofu → tugboat-infra, http → tugboat-http, kubectl/helm → tugboat-kubernetes, simulated →
  the main queue; a service's \`task_queue:\` or the deployment's \`task_queues:\` overrides that.

  Without --queues a worker polls the main queue and every default specialty: one worker runs
  everything. With --queues it polls only the specialties listed (activities only, no workflows);
  add "main" to the list to run the workflows too.

Examples:
  tugboat worker                                   everything, on "tugboat" and its default specialties
  tugboat worker --queues main                     workflows and simulated steps only
  tugboat worker --queues infra=2                  OpenTofu steps only, at most 2 at once on this worker
  tugboat worker --queues gpu                      services with \`task_queue: gpu\`
  tugboat worker --queues shell,http --rate http=5 at most 5 HTTP steps started per second, all workers together
  tugboat worker --metrics 9464                    also serve Prometheus metrics on :9464/metrics

  --queues infra=4: this worker runs at most 4 steps of that queue at once (other workers add theirs).
  --rate infra=2: the Temporal server hands out at most 2 steps per second on that queue, across
  every worker (the last worker to poll sets it); --rate 5 sets it on every queue polled here.

  See who polls what, and queues nobody polls: tugboat workers

Connects like every Temporal tool (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key).
Run several for capacity or availability; a killed worker's steps are retried by another.
Stops cleanly on Ctrl-C or SIGTERM: polls no more, lets in-flight steps finish within --grace,
then hands the rest back to another worker without spending one of their attempts.`;

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('Run a Tugboat worker: deployment and service workflows and the executor activities, on the main task queue and specialty queues.')
    .option('--task-queue <name>', 'the main task queue: workflows run here, specialty queues are named after it (env TUGBOAT_TASK_QUEUE, default "tugboat")')
    .option('--queues <list>', 'poll only these specialties, each with an optional cap on concurrent steps: infra=4,shell,main (env TUGBOAT_QUEUES; default: main and every default specialty)')
    .option('--rate <list>', 'server-side limit of steps started per second on a queue, all workers together: infra=2,shell=0.5, or 5 for every queue polled (env TUGBOAT_QUEUE_RATES)')
    .option('--metrics <[ip:]port>', 'serve Prometheus metrics at http://<ip:port>/metrics; a bare port listens on every interface (env TUGBOAT_METRICS)')
    .option('--sim-cloud <url>', 'simulated cloud URL (env TUGBOAT_SIMCLOUD_URL, default http://127.0.0.1:4780)')
    .option('--grace <duration>', 'on SIGTERM/Ctrl-C, how long in-flight steps may finish before they are handed back (env TUGBOAT_WORKER_GRACE, default 30s)')
    .addHelpText('after', HELP)
    .action(async (flags: WorkerFlags) => {
      const settings = settingsFrom(flags);
      checkStateSetting();
      // runUntilSignalled handles SIGINT/SIGTERM (and says what happens to in-flight steps).
      installWorkerLogging('INFO', process.env, false, { metricsAddress: settings.metricsAddress });
      const target = temporalTarget();
      await checkSearchAttributes();
      const { store, postgres } = await openStateStore(process.env);
      // A bundle named in the environment (tests build one), else the one `npm run build` wrote
      // (its encrypting twin with payload encryption on: see defaultWorkflowBundle).
      const dataConverter = dataConverterFromEnv();
      const workflowBundle = process.env.TUGBOAT_WORKFLOW_BUNDLE ? { codePath: process.env.TUGBOAT_WORKFLOW_BUNDLE } : defaultWorkflowBundle(dataConverter);
      try {
        const connection = await connectWorkerConnection();
        try {
          const worker = await createTugboatWorker({
            connection,
            namespace: target.namespace,
            ...settings,
            store,
            postgres,
            workflowBundle,
            dataConverter,
          });
          const where = `on ${target.address} (namespace ${target.namespace}); sim cloud ${settings.simCloudUrl}; state ${store.location}`;
          process.stdout.write(`${startLines(settings.taskQueue, worker.queues, where).join('\n')}\n`);
          if (worker.queues.some((q) => q.workflows)) {
            process.stdout.write(`workflow code: ${workflowBundle ? workflowBundle.codePath : 'bundled at start'}\n`);
          }
          if (settings.metricsAddress) process.stdout.write(`Prometheus metrics on http://${settings.metricsAddress}/metrics\n`);
          await runUntilSignalled(worker, { graceMs: settings.shutdownGraceMs ?? 0 });
        } finally {
          await connection.close();
        }
      } finally {
        await store.close();
      }
    });
}

/** Flags win over their environment variables; bad values are bad input (exit 2), nothing started. */
function settingsFrom(flags: WorkerFlags): WorkerSettings {
  for (const [flag, value] of [['--queues', flags.queues], ['--rate', flags.rate], ['--metrics', flags.metrics]] as const) {
    if (value !== undefined && value.trim() === '') throw new CliError(`${flag} is empty; leave it out for the default (see tugboat worker --help)`, ExitCode.badInput);
  }
  try {
    return workerSettingsFromEnv({
      ...process.env,
      ...(flags.taskQueue ? { TUGBOAT_TASK_QUEUE: flags.taskQueue } : {}),
      ...(flags.queues !== undefined ? { TUGBOAT_QUEUES: flags.queues } : {}),
      ...(flags.rate !== undefined ? { TUGBOAT_QUEUE_RATES: flags.rate } : {}),
      ...(flags.metrics !== undefined ? { TUGBOAT_METRICS: flags.metrics } : {}),
      ...(flags.simCloud ? { TUGBOAT_SIMCLOUD_URL: flags.simCloud } : {}),
      ...(flags.grace ? { TUGBOAT_WORKER_GRACE: flags.grace } : {}),
    });
  } catch (err) {
    if (err instanceof WorkerSettingsError) throw new CliError(err.message, ExitCode.badInput);
    throw err;
  }
}

/** TUGBOAT_STATE checked before anything starts (opening it connects, later). */
function checkStateSetting(): void {
  try {
    stateStoreSetting(process.env);
  } catch (err) {
    throw new CliError((err as Error).message, ExitCode.badInput);
  }
}

/** "worker polling …" first (scripts and tests wait for it), then one line per queue. */
export function startLines(mainQueue: string, queues: PolledQueue[], where: string): string[] {
  const main = queues.find((q) => q.workflows);
  const head = main
    ? `worker polling task queue "${main.taskQueue}" ${where}`
    : `worker polling task queues ${queues.map((q) => `"${q.taskQueue}"`).join(', ')} ${where}; ` +
      `no workflows here: they run on a worker polling "${mainQueue}"`;
  const width = Math.max(...queues.map((q) => q.taskQueue.length));
  return [head, ...queues.map((q) => describePolledQueue(q, width))];
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
