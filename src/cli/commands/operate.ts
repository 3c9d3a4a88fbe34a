/**
 * Operator commands: cancel, rollback, accept and continue-rollback. Each is an update, so a
 * request that makes no sense now is refused with the workflow's own reason (exit 3) and changes
 * nothing; with no worker to answer, it stops after a deadline and says how to start one.
 */
import type { Command } from 'commander';
import { connectClient } from '../../client/connection';
import { findDeployment } from '../../client/deployments';
import { DeploymentNotFoundError } from '../../client/errors';
import {
  continueRollback,
  NoWorkerError,
  RequestRefusedError,
  requestStop,
  type OperatorRequestKind,
} from '../../client/operations';
import type { RequestAccepted } from '../../api/messages';
import { CliError, ExitCode } from '../exit-codes';
import { parseSeconds } from '../options';
import { operatorIdentity } from '../identity';

const DESCRIPTIONS: Record<OperatorRequestKind, string> = {
  cancel: 'Stop a running deployment: no new services start, running ones are cancelled, what was done is rolled back; ends CANCELLED.',
  rollback: 'Undo a running (or manually held, failed) deployment; ends ROLLED_BACK.',
  accept: 'For rollback_strategy: manual, after a failure: keep what was deployed and end FAILED.',
};

async function send(ref: string, request: (client: Awaited<ReturnType<typeof connectClient>>, handle: Awaited<ReturnType<typeof findDeployment>>) => Promise<RequestAccepted>) {
  const client = await connectClient();
  try {
    const handle = await findDeployment(client, ref);
    const answer = await request(client, handle);
    process.stdout.write(`${answer.message} (phase ${answer.phase})\nfollow it with: tugboat status ${ref}\n`);
  } catch (err) {
    if (err instanceof RequestRefusedError) throw new CliError(`refused: ${err.message}`, ExitCode.refused);
    if (err instanceof DeploymentNotFoundError) throw new CliError(err.message, ExitCode.badInput);
    if (err instanceof NoWorkerError) throw new CliError(err.message, ExitCode.failed);
    throw err;
  } finally {
    await client.connection.close();
  }
}

export function registerOperate(program: Command): void {
  for (const kind of ['cancel', 'rollback', 'accept'] as const) {
    program
      .command(kind)
      .description(DESCRIPTIONS[kind])
      .argument('<deployment>', 'a deployment ID (dep-…) or <name>/<environment>')
      .option('--reason <text>', 'why; recorded in the deployment\'s progress')
      .option('--timeout <seconds>', 'give up when no worker answers within this time', parseSeconds, 15)
      .addHelpText(
        'after',
        `\nThe same is possible from the Web UI or the temporal CLI by signal:\n  temporal workflow signal --workflow-id deploy-<name>.<environment> --name ${kind} --input '{"reason":"…"}'\n\nExit codes: 0 accepted, 2 no such deployment, 3 refused (the reason is printed), 1 no worker answered.`,
      )
      .action((ref: string, opts: { reason?: string; timeout: number }) =>
        send(ref, (client, handle) => requestStop(client, handle, kind, { by: operatorIdentity(), reason: opts.reason }, opts.timeout * 1000)),
      );
  }

  program
    .command('continue-rollback')
    .description('Unblock a ROLLBACK_BLOCKED rollback: retry the failed compensations, or skip resources (reported as retained).')
    .argument('<deployment>', 'a deployment ID (dep-…) or <name>/<environment>')
    .option('--retry', 'run the blocked compensations again (after fixing their cause)')
    .option('--skip <ids...>', 'resource IDs (or service names) to give up on')
    .option('--reason <text>', 'why; recorded in the deployment\'s progress')
    .option('--timeout <seconds>', 'give up when no worker answers within this time', parseSeconds, 15)
    .addHelpText(
      'after',
      '\nExamples:\n  tugboat continue-rollback shop/prod --retry\n  tugboat continue-rollback shop/prod --skip database-00000a\n\n' +
        'From the Web UI (Send Signal) or the temporal CLI, the same request is a signal:\n' +
        '  temporal workflow signal --workflow-id deploy-shop.prod --name continue_rollback --input \'{"retry":true}\'',
    )
    .action((ref: string, opts: { retry?: boolean; skip?: string[]; reason?: string; timeout: number }) => {
      if (Boolean(opts.retry) === Boolean(opts.skip?.length)) {
        throw new CliError('say either --retry or --skip <ids...>, exactly one of them', ExitCode.badInput);
      }
      return send(ref, (client, handle) =>
        continueRollback(client, handle, { retry: opts.retry, skip: opts.skip, by: operatorIdentity(), reason: opts.reason }, opts.timeout * 1000),
      );
    });
}
