import { InvalidArgumentError, type Command } from 'commander';
import { INGRESS_KEYS } from '../../api/ingress';
import { connectClient, connectWorkerConnection, temporalTarget } from '../../client/connection';
import { SearchAttributesMissingError, SearchAttributeTypeError } from '../../client/search-attributes-errors';
import { ensureSearchAttributes } from '../../client/search-attributes-setup';
import { ingressKeys, startIngress } from '../../ingress';
import { checkRedisUrl, redactRedisUrl } from '../../ingress/redis';
import { taskQueueFromEnv } from '../../worker/config';
import { installWorkerLogging } from '../../worker/logging';
import { STOP_SIGNALS } from '../../worker/shutdown';
import { CliError, ExitCode } from '../exit-codes';

/** Test hook, not a feature: hold every taken task before starting it, so a test can kill the ingress there. */
export const HOLD_AFTER_TAKE_ENV = 'TUGBOAT_INGRESS_TEST_HOLD_AFTER_TAKE';

function parseKey(value: string): string {
  if (!/^\S{1,200}$/.test(value)) throw new InvalidArgumentError('expected a Redis key: 1-200 characters, no spaces (e.g. tasks:pending:devops)');
  return value;
}

export function registerIngress(program: Command): void {
  program
    .command('ingress')
    .description('Take deployment tasks from a Redis list, deploy each once, and publish each result to Redis.')
    .option('--redis <url>', 'Redis URL, redis:// or rediss:// (env TUGBOAT_REDIS_URL), e.g. redis://127.0.0.1:6379')
    .option('--task-queue <name>', 'main task queue the deployments start on (env TUGBOAT_TASK_QUEUE, default "tugboat")')
    .option('--queue-key <key>', `list to take tasks from (default ${INGRESS_KEYS.pending}); taken tasks wait in its "processing" twin`, parseKey)
    .addHelpText(
      'after',
      `
A task is a JSON object, LPUSHed onto the list:
  {"id": "release-42", "manifest_path": "/srv/shop/release.yaml", "requested_by": "ci"}
  {"id": "release-43", "manifest": "deployment:\\n  name: shop\\n  environment: prod\\n  services: ..."}
  id            1-128 letters, digits, ".", "_", "-"; one id is one deployment: a task pushed (or
                delivered) twice deploys once, and an id whose result exists is not deployed again
  manifest      the manifest as YAML/JSON text or as a JSON object   } exactly one of the two
  manifest_path a manifest file the ingress can read (config paths are relative to it)  }
  requested_by  who asked, for the deployment's record (optional)

Each task gets exactly one result, a JSON string at ${INGRESS_KEYS.resultPrefix}<id>, also PUBLISHed on ${INGRESS_KEYS.channel}:
  {"id": "release-42", "status": "completed" | "partial" | "failed", "summary": "...",
   "deploymentId": "dep-...", "workflowId": "deploy-shop.prod", "phase": "SUCCEEDED",
   "services": {"api": {"state": "SUCCEEDED", "outputs": {"url": "..."}}, ...},
   "failed": [], "error": "... (when not completed)", "finishedAt": "..."}
A malformed task (not JSON, no usable id, an invalid manifest) gets a "failed" result naming the
field; with no usable id it is filed under malformed-<hash of the task text>. Nothing is dropped.

Try it (a worker must run: \`tugboat worker\`):
  redis-cli LPUSH ${INGRESS_KEYS.pending} '{"id":"release-42","manifest_path":"'$PWD'/examples/ecommerce.yaml"}'
  redis-cli GET ${INGRESS_KEYS.resultPrefix}release-42         # or first: redis-cli SUBSCRIBE ${INGRESS_KEYS.channel}

Reliable: a task moves to ${INGRESS_KEYS.processing} (BLMOVE) and leaves it only once its
deployment's start is confirmed; every ingress re-drives what is left there when it starts and
every minute. A task pushed again under an id that has a workflow never deploys twice nor
overwrites that workflow's result (its result is published again if the key is gone). Results are
published by this process (its worker polls <task queue>-ingress-<hash of the Redis and list>):
a deployment that ends while no such ingress runs is published once one is back. Several
ingresses may run at once. Stops cleanly on Ctrl-C or SIGTERM after the task in hand (one not yet
started goes back to the pending list), within ~10s even if Redis stops answering.
Connects to Temporal like every Temporal tool (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key).`,
    )
    .action(async (opts: { redis?: string; taskQueue?: string; queueKey?: string }) => {
      const redisUrl = (opts.redis ?? process.env.TUGBOAT_REDIS_URL ?? '').trim();
      if (!redisUrl) throw new CliError('--redis is required (or set TUGBOAT_REDIS_URL), e.g. --redis redis://127.0.0.1:6379', ExitCode.badInput);
      const badUrl = checkRedisUrl(redisUrl);
      if (badUrl) throw new CliError(`--redis (TUGBOAT_REDIS_URL) ${badUrl}`, ExitCode.badInput);
      const taskQueue = opts.taskQueue?.trim() || taskQueueFromEnv();
      const keys = ingressKeys(opts.queueKey);
      // The SDK's worker logs at WARN unless TUGBOAT_LOG_LEVEL says otherwise; we handle the signals.
      installWorkerLogging('WARN', process.env, false);
      const target = temporalTarget();
      const client = await connectClient();
      const connection = await connectWorkerConnection();
      try {
        await requireSearchAttributes(client);
        const ingress = await startIngress({
          redisUrl,
          keys,
          taskQueue,
          client,
          connection,
          namespace: target.namespace,
          log: (line) => process.stdout.write(`${line}\n`),
          holdAfterTake: process.env[HOLD_AFTER_TAKE_ENV] === '1',
        });
        if (process.env[HOLD_AFTER_TAKE_ENV] === '1') process.stdout.write(`${HOLD_AFTER_TAKE_ENV}=1: test hook on, every taken task is held, never started\n`);
        process.stdout.write(
          `ingress taking tasks from ${keys.pending} on ${redactRedisUrl(redisUrl)}; deployments start on task queue "${taskQueue}" ` +
            `(${target.address}, namespace ${target.namespace}); results published from task queue "${ingress.publisherQueue}"\n`,
        );
        const onSignal = (signal: NodeJS.Signals) => {
          process.stdout.write(`${signal}: ingress stopping after the task in hand\n`);
          void ingress.stop();
        };
        for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
        try {
          await ingress.done;
        } finally {
          for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
        }
        process.stdout.write('ingress stopped\n');
      } finally {
        await connection.close();
        await client.connection.close();
      }
    });
}

/** A task's deployment sets Tugboat's search attributes: without them its start would wedge, so refuse up front. */
async function requireSearchAttributes(client: Awaited<ReturnType<typeof connectClient>>): Promise<void> {
  try {
    const { namespace, added } = await ensureSearchAttributes(client.connection, client.options.namespace);
    if (added.length > 0) process.stdout.write(`registered search attributes ${added.join(', ')} in namespace ${namespace}\n`);
  } catch (err) {
    if (err instanceof SearchAttributesMissingError || err instanceof SearchAttributeTypeError) throw new CliError(err.message, ExitCode.refused);
    throw err;
  }
}
