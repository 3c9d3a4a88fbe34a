import type { Command } from 'commander';
import { connectClient } from '../../client/connection';
import { findDeployment } from '../../client/deployments';
import { DeploymentNotFoundError } from '../../client/errors';
import { followDeployment } from '../deploy-flow';
import { CliError, ExitCode, exitCodeForStatus } from '../exit-codes';
import { onInterrupt } from '../interrupt';
import { startedPlan } from '../live-view/started-plan';

export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description('Follow a deployment as it runs: the live view on a terminal (as deploy shows it), plain lines otherwise.')
    .argument('<deployment>', 'a deployment ID (dep-…) or <name>/<environment> for the latest run')
    .option('--plain', 'print each transition as a line, even on a terminal (no live view)')
    .addHelpText(
      'after',
      `
Examples:
  tugboat watch ecommerce-app/production
  tugboat watch dep-20261123t183012345z-k3f9q2 --plain

It follows the deployment until it ends, or until it waits for a person (a blocked rollback, a
manual-strategy decision, a halt), then prints its status. Ctrl-C stops watching; the deployment
goes on. The live view is drawn on a terminal unless --plain, TERM=dumb or CI is set.

Exit codes (as tugboat status): 0 succeeded (or still running well), 1 failed/rolled back/cancelled,
2 not found, 4 rollback blocked or orphans left.`,
    )
    .action(async (ref: string, opts: { plain?: boolean }) => {
      const client = await connectClient();
      try {
        const handle = await findDeployment(client, ref).catch((err: unknown) => {
          throw err instanceof DeploymentNotFoundError ? new CliError(err.message, ExitCode.badInput) : err;
        });
        const { status } = await followDeployment(client, handle, {
          deploymentId: ref,
          print: (line) => process.stdout.write(`${line}\n`),
          stop: onInterrupt(),
          live: !opts.plain,
          loaded: await startedPlan(client, handle),
        });
        process.exitCode = exitCodeForStatus(status);
      } finally {
        await client.connection.close();
      }
    });
}
