import type { Command } from 'commander';
import { connectClient } from '../../client/connection';
import { findDeployment } from '../../client/deployments';
import { DeploymentNotFoundError } from '../../client/errors';
import { deploymentStatus } from '../../client/status';
import { CliError, ExitCode, exitCodeForStatus } from '../exit-codes';
import { renderStatus } from '../render-status';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("Show a deployment's phase and every service's state, attempt, outputs and error.")
    .argument('<deployment>', 'a deployment ID (dep-…) or <name>/<environment> for the latest run')
    .option('--json', 'print {"id","phase","services":{name:{"state","attempt",…}},"orphans","retained","rollback",…}')
    .addHelpText(
      'after',
      '\nExamples:\n  tugboat status ecommerce-app/production\n  tugboat status dep-20261123t183012345z-k3f9q2 --json\n\nExit codes: 0 succeeded (or still running well), 1 failed/rolled back/cancelled, 2 not found,\n4 rollback blocked or orphans left.',
    )
    .action(async (ref: string, opts: { json?: boolean }) => {
      const client = await connectClient();
      try {
        const handle = await findDeployment(client, ref);
        const status = await deploymentStatus(client, handle);
        process.stdout.write(`${opts.json ? JSON.stringify(status) : renderStatus(status)}\n`);
        process.exitCode = exitCodeForStatus(status);
      } catch (err) {
        if (err instanceof DeploymentNotFoundError) throw new CliError(err.message, ExitCode.badInput);
        throw err;
      } finally {
        await client.connection.close();
      }
    });
}
