/**
 * The `tugboat` command line. Each command lives in ./commands; errors become one readable message
 * and an exit code (never a stack trace for bad input).
 */
import { Command, CommanderError } from 'commander';
import { TemporalSettingsError } from '../client/connection';
import { TemporalConnectError } from '../client/connect-errors';
import { CodecKeyError } from '../codec';
import { registerCodecServer } from './commands/codec-server';
import { registerDeploy } from './commands/deploy';
import { registerDevCluster } from './commands/dev-cluster';
import { registerDevServer } from './commands/dev-server';
import { registerHistory } from './commands/history';
import { registerIngress } from './commands/ingress';
import { registerList } from './commands/list';
import { registerOperate } from './commands/operate';
import { registerPlan } from './commands/plan';
import { registerSetup } from './commands/setup';
import { registerSimCloud } from './commands/sim-cloud';
import { registerStatus } from './commands/status';
import { registerUp } from './commands/up';
import { registerWatch } from './commands/watch';
import { registerWorker } from './commands/worker';
import { registerWorkers } from './commands/workers';
import { CliError, ExitCode } from './exit-codes';

export function buildProgram(): Command {
  const program = new Command('tugboat')
    .description('Durable deployments on Temporal: validate a manifest, plan its DAG, deploy it in parallel, survive crashes.')
    .version(require('../../package.json').version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
Start here:
  tugboat up examples/ecommerce.yaml     run the demo: local Temporal, simulated cloud, worker, deploy
  tugboat plan <manifest>                check a manifest and see its waves and critical path

Exit codes: 0 ok, 1 deployment failed (rolled back), 2 bad input, 3 refused (environment locked,
request makes no sense now), 4 halted, rollback blocked or orphans left (a person must look),
5 Temporal unreachable or refused the connection (the missing setting is named; nothing changed).`,
    );
  for (const register of [registerPlan, registerDeploy, registerStatus, registerWatch, registerHistory, registerList, registerOperate, registerWorker, registerWorkers, registerIngress, registerUp, registerDevServer, registerDevCluster, registerSimCloud, registerSetup, registerCodecServer]) {
    register(program);
  }
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander already printed the message; help and --version are not errors.
    return err.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
  }
  if (err instanceof CliError) {
    process.stderr.write(`error: ${err.message}\n`);
    return err.exitCode;
  }
  // Unusable connection or encryption settings (a missing profile, an unreadable certificate, a
  // codec key that is not 32 bytes) are bad input;
  // a refused connection changed nothing and gets its own code, so a script can tell it from a
  // failed deployment (1) and retry it.
  if (err instanceof TemporalSettingsError || err instanceof CodecKeyError) {
    process.stderr.write(`error: ${err.message}\n`);
    return ExitCode.badInput;
  }
  if (err instanceof TemporalConnectError) {
    process.stderr.write(`error: ${err.message}\n`);
    return ExitCode.unreachable;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${message}\n`);
  if (process.env.TUGBOAT_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
  return ExitCode.failed;
}

if (require.main === module) void main();
