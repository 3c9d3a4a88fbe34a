/** `tugboat list`: running and recent deployments, through Temporal visibility (Tugboat's search attributes). */
import type { Command } from 'commander';
import { connectClient } from '../../client/connection';
import { DEPLOYMENT_PHASES, listDeployments, ListFilterError, listQuery, stoppedAbnormally, type ListedDeployment, type ListFilter } from '../../client/list';
import { SearchAttributesMissingError } from '../../client/search-attributes-errors';
import { formatMs } from '../../plan/render';
import { CliError, ExitCode } from '../exit-codes';
import { DEFAULT_LIMIT, parseLimit, shortTime } from './history';

/** The phase, and Temporal's status where the phase alone would mislead (a terminated or timed-out run). */
function phaseText(d: ListedDeployment): string {
  const phase = d.phase ?? '?';
  return stoppedAbnormally(d) ? `${phase} (workflow ${d.status.toLowerCase()})` : phase;
}

export function renderList(deployments: ListedDeployment[], query: string): string {
  if (deployments.length === 0) {
    return [
      `No deployments match ${query}.`,
      'Visibility can lag a moment behind a start or a phase change; a deployment older than the',
      "namespace's retention is gone from Temporal but not from its environment's history: tugboat history <name>/<environment>",
    ].join('\n');
  }
  const rows = deployments.map((d) => [
    d.id,
    d.name && d.environment ? `${d.name}/${d.environment}` : (d.environment ?? d.workflow_id),
    phaseText(d),
    shortTime(d.started_at),
    d.running ? `${formatMs(d.duration_ms)} so far` : formatMs(d.duration_ms),
  ]);
  const header = ['DEPLOYMENT', 'ENVIRONMENT', 'PHASE', 'STARTED', 'DURATION'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function registerList(program: Command): void {
  program
    .command('list')
    .description('List running and recent deployments from Temporal visibility: ID, environment, phase, start, duration.')
    .option('--environment <env>', 'only this environment (TugboatEnvironment)')
    .option('--phase <phase>', `only this phase (TugboatPhase): ${DEPLOYMENT_PHASES.join(', ')}`)
    .option('--name <name>', 'only this deployment name (workflow ID deploy-<name>.<environment>)')
    .option('--limit <n>', `at most n deployments (default ${DEFAULT_LIMIT})`, parseLimit, DEFAULT_LIMIT)
    .option('--json', 'print [{"id","name","environment","phase","status","running","workflow_id","run_id","started_at","ended_at","duration_ms"}]')
    .addHelpText(
      'after',
      "\nExamples:\n  tugboat list --environment production\n  tugboat list --phase halted\n  tugboat list --name ecommerce-app --json | jq '.[].id'\n\nThe same filter in the Web UI or the temporal CLI:\n  temporal workflow list --query \"TugboatEnvironment = 'production' AND TugboatPhase = 'HALTED'\"\nRunning deployments come first, then closed ones, newest first. Older than Temporal's retention:\ntugboat history <name>/<environment>.",
    )
    .action(async (opts: ListFilter & { limit: number; json?: boolean }) => {
      const filter: ListFilter = { environment: opts.environment, phase: opts.phase, name: opts.name };
      let query: string;
      try {
        query = listQuery(filter);
      } catch (err) {
        if (err instanceof ListFilterError) throw new CliError(err.message, ExitCode.badInput);
        throw err;
      }
      const client = await connectClient();
      try {
        const deployments = await listDeployments(client, filter, opts.limit);
        process.stdout.write(`${opts.json ? JSON.stringify(deployments) : renderList(deployments, query)}\n`);
      } catch (err) {
        if (err instanceof SearchAttributesMissingError) throw new CliError(err.message, ExitCode.refused);
        throw err;
      } finally {
        await client.connection.close();
      }
    });
}
