import type { Command } from 'commander';
import { connectClient } from '../../client/connection';
import { findDeployment } from '../../client/deployments';
import { DeploymentNotFoundError } from '../../client/errors';
import { deploymentStatus } from '../../client/status';
import { withProviderBreakers } from '../../client/provider-breakers';
import { CliError, ExitCode, exitCodeForStatus } from '../exit-codes';
import { renderStatus } from '../render-status';
import { DEPLOYMENT_ID_PATTERN } from '../../client/deployment-id';
import type { DeploymentRecord } from '../../state';
import { withLocalStateStore } from '../../client/local-store';
import { printQueueWarnings } from '../../client/queue-warnings';
import { deploymentQueueWarnings } from '../queue-warnings';

async function localRecord(deploymentId: string): Promise<DeploymentRecord | undefined> {
  return withLocalStateStore((store) => store.getDeploymentRecord(deploymentId));
}

function renderRecord(r: DeploymentRecord): string {
  const lines = [
    `${r.name} → ${r.environment}   ${r.phase}   ${r.deploymentId}`,
    `from the deployment record (Temporal no longer has workflow ${r.workflowId}); ${r.startedAt} → ${r.endedAt}`,
  ];
  for (const [name, s] of Object.entries(r.services)) lines.push(`  ${name.padEnd(22)} ${s.state}${s.error ? `  ${s.error}` : ''}`);
  if (r.error) lines.push(`error: ${r.error}`);
  if (r.retained.length > 0) lines.push(`retained: ${r.retained.map((x) => `${x.id} (${x.service})`).join(', ')}`);
  lines.push(r.orphans.length === 0 ? 'orphans: none' : `ORPHANS: ${r.orphans.map((o) => `${o.id} (${o.service})`).join(', ')}`);
  return lines.join('\n');
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("Show a deployment's phase and every service's state, attempt, outputs and error.")
    .argument('<deployment>', 'a deployment ID (dep-…) or <name>/<environment> for the latest run')
    .option('--json', 'print {"id","phase","services":{name:{"state","attempt","last_failure","steps",…}},"orphans","retained","rollback",…}')
    .addHelpText(
      'after',
      '\nExamples:\n  tugboat status ecommerce-app/production\n  tugboat status dep-20261123t183012345z-k3f9q2 --json\n\nA deployment Temporal no longer keeps (after its retention) is read from the deployment record\nin the state store (TUGBOAT_STATE, default TUGBOAT_HOME/state). <name>/<environment> also finds deployments started before the workflow ID\nbecame deploy-<name>.<environment> (under deploy-<name>-<environment>).\n\nExit codes: 0 succeeded (or still running well), 1 failed/rolled back/cancelled, 2 not found,\n4 rollback blocked or orphans left.',
    )
    .action(async (ref: string, opts: { json?: boolean }) => {
      const client = await connectClient();
      try {
        const handle = await findDeployment(client, ref);
        // Breakers not closed of the providers its running steps call, from the shared state store.
        const status = await withProviderBreakers(await deploymentStatus(client, handle));
        // A service waiting on a queue no worker polls would wait without a word: say so, and how to fix it.
        const queueWarnings = await deploymentQueueWarnings(client, handle, status);
        process.stdout.write(`${opts.json ? JSON.stringify({ ...status, queue_warnings: queueWarnings }) : renderStatus(status)}\n`);
        printQueueWarnings(queueWarnings);
        process.exitCode = exitCodeForStatus(status);
      } catch (err) {
        if (!(err instanceof DeploymentNotFoundError)) throw err;
        // Temporal forgets closed workflows after its retention; the state store does not.
        const record = DEPLOYMENT_ID_PATTERN.test(ref) ? await localRecord(ref) : undefined;
        if (!record) throw new CliError(err.message, ExitCode.badInput);
        process.stdout.write(opts.json ? `${JSON.stringify({ source: 'deployment-record', ...record })}\n` : `${renderRecord(record)}\n`);
        process.exitCode = exitCodeForStatus(record);
      } finally {
        await client.connection.close();
      }
    });
}
