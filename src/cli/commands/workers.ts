import { breakerJson } from '../../resilience/describe';
import type { Command } from 'commander';
import type { ProviderHealth } from '../../api/resilience';
import { DEFAULT_SPECIALTIES, MAIN_SPECIALTY } from '../../api/task-queues';
import { connectClient, temporalTarget } from '../../client/connection';
import { withLocalStateStore } from '../../client/local-store';
import { describeQueues, type PollerView, type QueueView } from '../../client/workers';
import { specialtySchema } from '../../manifest/schema';
import { taskQueueFromEnv } from '../../worker/config';
import { CliError, ExitCode } from '../exit-codes';

interface WorkersFlags {
  taskQueue?: string;
  queue?: string[];
  json?: boolean;
}

const HELP = `
What it shows:
  A worker "polls" a task queue: it keeps asking the Temporal server for the next task there, and
  the server hands each task to one of the workers polling. So the pollers the server lists are
  the live workers, and the time each last polled is their heartbeat: a live worker polls again
  as soon as its long poll returns (within about a minute when idle). One that stopped stays
  listed for a few minutes with an ever older time (marked "stale" after 2 minutes).

  Workflows run on the main queue (--task-queue, default "tugboat"); each service's steps run on
  its specialty's queue "<main>-<specialty>" (shell, infra for OpenTofu, http, kubernetes, or the
  service's own task_queue:). A queue nobody polls is flagged with the command that starts a
  worker for it; until one runs, its services wait.

  Circuit breakers: per provider (the world a service talks to), from the state store every worker
  shares: closed (calls go through), open (calls fail fast until "retry at"), half-open (one probe).

Examples:
  tugboat workers                        the main queue and every default specialty
  tugboat workers --queue gpu            also the queue of services with task_queue: gpu
  tugboat workers --json                 one JSON document: {"task_queue","namespace","queues":[…],"breakers":[…]}
  tugboat worker --queues infra          start a worker for an unpolled queue (see tugboat worker --help)`;

export function registerWorkers(program: Command): void {
  program
    .command('workers')
    .description("List each task queue's workers (Temporal's pollers) and when each last polled; flag queues nobody polls; show the circuit breakers.")
    .option('--task-queue <name>', 'the main task queue (env TUGBOAT_TASK_QUEUE, default "tugboat")')
    .option('--queue <specialty>', 'also list this specialty queue (repeatable), e.g. --queue gpu', collect)
    .option('--json', 'print one JSON document')
    .addHelpText('after', HELP)
    .action(async (flags: WorkersFlags) => {
      const extra = (flags.queue ?? []).map(checkedSpecialty);
      const mainQueue = flags.taskQueue?.trim() || taskQueueFromEnv();
      const specialties = [...new Set([MAIN_SPECIALTY, ...DEFAULT_SPECIALTIES, ...extra])];
      const client = await connectClient();
      let queues: QueueView[];
      try {
        queues = await describeQueues(client, mainQueue, specialties);
      } finally {
        await client.connection.close();
      }
      const breakers = await readBreakers();
      const { address, namespace } = temporalTarget();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ task_queue: mainQueue, namespace, address, queues, ...breakers })}\n`);
        return;
      }
      process.stdout.write(`${renderWorkers({ mainQueue, address, namespace, queues, ...breakers }).join('\n')}\n`);
    });
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function checkedSpecialty(name: string): string {
  if (!specialtySchema.safeParse(name).success) {
    throw new CliError(
      `--queue ${JSON.stringify(name)} is not a queue name: lowercase letters, digits and hyphens, such as "gpu" (e.g. tugboat workers --queue gpu)`,
      ExitCode.badInput,
    );
  }
  return name;
}

type BreakerView = ReturnType<typeof breakerJson> & { budget: ProviderHealth['budget']; updated_at: string };

/** The shared per-provider state; a store that cannot be read is reported, not fatal (the queues are the point). */
async function readBreakers(): Promise<{ breakers: BreakerView[]; state_store: string | null; breakers_error?: string }> {
  try {
    return await withLocalStateStore(async (store) => ({
      breakers: (await store.listProviderHealth()).map(breakerView),
      state_store: store.location,
    }));
  } catch (err) {
    return { breakers: [], state_store: null, breakers_error: (err as Error).message };
  }
}

function breakerView(h: ProviderHealth): BreakerView {
  return { ...breakerJson(h), budget: h.budget, updated_at: h.updatedAt };
}

export function renderWorkers(view: {
  mainQueue: string;
  address: string;
  namespace: string;
  queues: QueueView[];
  breakers: BreakerView[];
  state_store: string | null;
  breakers_error?: string;
  now?: number;
}): string[] {
  const lines = [`task queues under "${view.mainQueue}" on ${view.address} (namespace ${view.namespace})`];
  for (const q of view.queues) {
    lines.push('', `${q.task_queue}  (${q.carries})`);
    if (q.error) {
      lines.push(`  could not describe it: ${q.error}`);
      continue;
    }
    for (const row of pollerRows(q)) lines.push(`  ${row}`);
    if (!q.polled) lines.push(`  NO WORKER polls it: its services wait. Start one: ${q.start_command}`);
  }
  lines.push('', `circuit breakers (state store ${view.state_store ?? 'unavailable'})`);
  if (view.breakers_error) lines.push(`  could not read them: ${view.breakers_error}`);
  else if (view.breakers.length === 0) lines.push('  none recorded yet (a provider appears once a step has called it)');
  const width = Math.max(0, ...view.breakers.map((b) => b.provider.length));
  for (const b of view.breakers) lines.push(`  ${breakerLine(b, width, view.now ?? Date.now())}`);
  return lines;
}

/** One line per worker identity: what it polls here, when it last did, and the rate limit it set. */
function pollerRows(q: QueueView): string[] {
  const byIdentity = new Map<string, { kinds: string[]; latest: PollerView }>();
  for (const [kind, pollers] of [['workflows', q.workflow_pollers], ['steps', q.activity_pollers]] as const) {
    for (const p of pollers) {
      const row = byIdentity.get(p.identity);
      if (!row) byIdentity.set(p.identity, { kinds: [kind], latest: p });
      else {
        row.kinds.push(kind);
        if ((p.seconds_ago ?? Infinity) < (row.latest.seconds_ago ?? Infinity)) row.latest = p;
      }
    }
  }
  if (byIdentity.size === 0) return ['no pollers'];
  const width = Math.max(...[...byIdentity.keys()].map((k) => k.length));
  return [...byIdentity.entries()].map(([identity, { kinds, latest }]) => {
    const ago = latest.seconds_ago === null ? 'never' : `${latest.seconds_ago}s ago`;
    const rate = latest.rate_per_second !== null ? `  rate limit ${latest.rate_per_second}/s` : '';
    return `${identity.padEnd(width)}  ${kinds.join(' + ').padEnd(17)}  last polled ${ago}${latest.stale ? ' (stale: stopped?)' : ''}${rate}`;
  });
}

/** `simcloud  open  5 consecutive failures  retry at … (in 20s)  budget: 4 retries / 12 calls since …` */
function breakerLine(b: BreakerView, width: number, now: number): string {
  const failures = `${b.consecutive_failures} consecutive failure${b.consecutive_failures === 1 ? '' : 's'}`;
  const retry = b.retry_at ? `  retry at ${b.retry_at} (in ${Math.max(0, Math.round((Date.parse(b.retry_at) - now) / 1000))}s)` : '';
  const delayed = b.budget.delayed > 0 ? `, ${b.budget.delayed} delayed` : '';
  const budget = `  budget: ${b.budget.retries} retries / ${b.budget.calls} calls since ${b.budget.windowStart}${delayed}`;
  return `${b.provider.padEnd(width)}  ${b.state.padEnd(9)}  ${failures.padEnd(24)}${retry}${budget}`;
}
