/**
 * Operator controls: pause, resume, approve, reject, retry, cancel, rollback, accept and
 * continue-rollback. Each is an update, so a request that makes no sense now is refused with the
 * workflow's own reason (exit 3) and changes nothing; with no worker to answer, it stops after a
 * deadline and says which task queue has none and how to start one. `rollback` of a deployment
 * that already ended starts a rollback of that release instead (src/client/rollback-release.ts).
 */
import type { Command } from 'commander';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { connectClient } from '../../client/connection';
import { DEPLOYMENT_ID_PATTERN } from '../../client/deployment-id';
import { findDeployment } from '../../client/deployments';
import { DeploymentNotFoundError, EnvironmentLockedError } from '../../client/errors';
import { NoWorkerError, RequestRefusedError, sendRequest } from '../../client/operations';
import {
  acceptSignal,
  acceptUpdate,
  approveSignal,
  approveUpdate,
  cancelSignal,
  cancelUpdate,
  continueRollbackSignal,
  continueRollbackUpdate,
  pauseSignal,
  pauseUpdate,
  rejectSignal,
  rejectUpdate,
  resumeSignal,
  resumeUpdate,
  retryServiceSignal,
  retryServiceUpdate,
  rollbackSignal,
  rollbackUpdate,
  type RequestAccepted,
  type ServiceRequestInput,
} from '../../api/messages';
import { CliError, ExitCode } from '../exit-codes';
import { parseSeconds } from '../options';
import { operatorIdentity } from '../identity';

/** One operator control: the tugboat command, the update it sends, the signal the Web UI sends. */
export interface Control {
  command: string;
  description: string;
  update: UpdateDefinition<RequestAccepted, [ServiceRequestInput]>;
  /** The signal of the same meaning (Web UI Send Signal, `temporal workflow signal`). */
  signal: string;
  /** Whether --service is taken, and whether it must be given. */
  service: 'none' | 'required' | 'optional';
  /** What --service means for this control, for --help. */
  serviceHelp?: string;
}

export const CONTROLS: readonly Control[] = [
  {
    command: 'pause',
    description: 'Pause a running deployment: nothing new starts (approved services included), running services finish; phase PAUSED until resume.',
    update: pauseUpdate,
    signal: pauseSignal.name,
    service: 'none',
  },
  {
    command: 'resume',
    description: 'Resume a PAUSED deployment: waiting services start again.',
    update: resumeUpdate,
    signal: resumeSignal.name,
    service: 'none',
  },
  {
    command: 'approve',
    description: 'Approve a service waiting in AWAITING_APPROVAL: it starts (unless the deployment is paused).',
    update: approveUpdate,
    signal: approveSignal.name,
    service: 'required',
    serviceHelp: 'the service awaiting approval (required)',
  },
  {
    command: 'reject',
    description: 'Reject a service waiting in AWAITING_APPROVAL: it fails (the failure policy applies), or with on_reject: halt its branch waits for a fix and a new request.',
    update: rejectUpdate,
    signal: rejectSignal.name,
    service: 'required',
    serviceHelp: 'the service awaiting approval (required)',
  },
  {
    command: 'retry',
    description: 'Run failed services again after fixing their cause (HALTED, or FAILED under rollback_strategy: manual); what they skipped runs after them, succeeded services are not redone.',
    update: retryServiceUpdate,
    signal: retryServiceSignal.name,
    service: 'optional',
    serviceHelp: 'the failed service to run again (default: every failed service)',
  },
  {
    command: 'cancel',
    description: 'Stop a running deployment: no new services start, running ones are cancelled, what was done is rolled back; ends CANCELLED.',
    update: cancelUpdate,
    signal: cancelSignal.name,
    service: 'none',
  },
  {
    command: 'rollback',
    description:
      'Undo a deployment. A running (or paused, halted, manually held failed) one rolls back what it did and ends ROLLED_BACK; ' +
      'one that already ended is rolled back by a new workflow, from its stored rollback manifest, under the environment lock.',
    update: rollbackUpdate,
    signal: rollbackSignal.name,
    service: 'none',
  },
  {
    command: 'accept',
    description: 'Keep what was deployed: after a failure under rollback_strategy: manual (ends FAILED), or when HALTED (ends PARTIAL).',
    update: acceptUpdate,
    signal: acceptSignal.name,
    service: 'none',
  },
];

export interface ControlOptions {
  service?: string;
  by?: string;
  reason?: string;
}

/** What a control sends, from its flags; a missing required --service is bad input naming the flag. */
export function controlInput(control: Control, opts: ControlOptions, identity: () => string = operatorIdentity): ServiceRequestInput {
  const service = opts.service?.trim();
  if (control.service === 'required' && !service) {
    throw new CliError(
      `${control.command} needs --service <name>: the service awaiting approval (tugboat status <deployment> shows which are AWAITING_APPROVAL)`,
      ExitCode.badInput,
    );
  }
  if (opts.service !== undefined && !service) {
    throw new CliError('--service needs a service name (or leave the flag out)', ExitCode.badInput);
  }
  const by = opts.by?.trim() || identity();
  const input: ServiceRequestInput = { by };
  if (control.service !== 'none' && service) input.service = service;
  if (opts.reason) input.reason = opts.reason;
  return input;
}

/** The same request as a `temporal` CLI command, for --help and the README. */
export function temporalEquivalent(control: Control, example: ServiceRequestInput = exampleInput(control)): string {
  return (
    `temporal workflow update execute --workflow-id deploy-<name>.<environment> ` +
    `--name ${control.update.name} --input '${JSON.stringify(example)}'`
  );
}

function exampleInput(control: Control): ServiceRequestInput {
  return control.service === 'none' ? { by: 'ana', reason: '…' } : { service: 'database', by: 'ana', reason: '…' };
}

const EXIT_CODES = 'Exit codes: 0 accepted, 2 bad input or no such deployment, 3 refused (the reason is printed), 1 no worker answered within --timeout.';

function helpText(control: Control): string {
  const example = exampleInput(control);
  const lines = [
    '',
    'The same request from the temporal CLI (an update: refused with the same reason):',
    `  ${temporalEquivalent(control, example)}`,
    `From the Web UI: the deployment's workflow, Send Signal, name "${control.signal}", input ${JSON.stringify(example)}`,
    '  (a signal gets no answer: a refused one is recorded in the progress query as ignored, with why)',
  ];
  if (control.command === 'rollback') {
    lines.push(
      '',
      'A deployment that already ended (by ID, or <name>/<environment> after its last run ended) is rolled back by a new',
      'rollback workflow; refused when a newer deployment of that environment exists, unless --force.',
    );
  }
  lines.push('', EXIT_CODES);
  return lines.join('\n');
}

type Handle = WorkflowHandle;

async function withClient(run: (client: Client) => Promise<void>): Promise<void> {
  const client = await connectClient();
  try {
    await run(client);
  } catch (err) {
    throw asCliError(err);
  } finally {
    await client.connection.close();
  }
}

function asCliError(err: unknown): unknown {
  if (err instanceof RequestRefusedError) return new CliError(`refused: ${err.message}`, ExitCode.refused);
  if (err instanceof EnvironmentLockedError) return new CliError(`refused: ${err.message}`, ExitCode.refused);
  if (err instanceof DeploymentNotFoundError) return new CliError(err.message, ExitCode.badInput);
  if (err instanceof NoWorkerError) return new CliError(err.message, ExitCode.failed);
  return err;
}

function printAccepted(ref: string, answer: RequestAccepted): void {
  process.stdout.write(`${answer.message} (phase ${answer.phase})\nfollow it with: tugboat status ${ref}\n`);
}

/** The workflow's status name (RUNNING, COMPLETED, …) for the run this handle names. */
async function statusOf(handle: Handle): Promise<string> {
  return (await handle.describe()).status.name;
}

/** The deployment's workflow, if it still runs: a request to one that ended is refused (exit 3). */
async function runningHandle(client: Client, ref: string): Promise<Handle> {
  const handle = await findDeployment(client, ref);
  const status = await statusOf(handle);
  if (status !== 'RUNNING') {
    throw new CliError(`refused: ${ref} is not running (its workflow is ${status}); tugboat status ${ref} shows how it ended`, ExitCode.refused);
  }
  return handle;
}

async function sendControl(control: Control, ref: string, opts: ControlOptions & { timeout: number }): Promise<void> {
  const input = controlInput(control, opts);
  await withClient(async (client) => {
    const handle = await runningHandle(client, ref);
    printAccepted(ref, await sendRequest(client, handle, control.update, input, opts.timeout * 1000));
  });
}

async function rollback(ref: string, opts: ControlOptions & { timeout: number; force?: boolean }): Promise<void> {
  const control = CONTROLS.find((c) => c.command === 'rollback')!;
  const input = controlInput(control, opts);
  await withClient(async (client) => {
    let handle: Handle | undefined;
    try {
      handle = await findDeployment(client, ref);
    } catch (err) {
      // A deployment ID Temporal no longer knows (past retention) may still have its record.
      if (!(err instanceof DeploymentNotFoundError && DEPLOYMENT_ID_PATTERN.test(ref.trim()))) throw err;
    }
    if (handle && (await statusOf(handle)) === 'RUNNING') {
      printAccepted(ref, await sendRequest(client, handle, control.update, input, opts.timeout * 1000));
      return;
    }
    // Loaded only here: it brings the state store and the rollback planner, which no other control needs.
    const { rollbackFinishedDeployment } = await import('../../client/rollback-release');
    // Its refusals (a newer deployment without --force, a release that cannot be undone) are
    // RequestRefusedErrors: exit 3 with the reason, like a running deployment's.
    const started = await rollbackFinishedDeployment(client, ref, { force: opts.force, by: input.by, reason: input.reason });
    process.stdout.write(`${started.message}\nfollow it with: tugboat status ${started.rollbackDeploymentId}\n`);
  });
}

export function registerOperate(program: Command): void {
  for (const control of CONTROLS) {
    const command = program
      .command(control.command)
      .description(control.description)
      .argument('<deployment>', 'a deployment ID (dep-…) or <name>/<environment>');
    if (control.service !== 'none') command.option('--service <name>', control.serviceHelp ?? 'the service');
    command
      .option('--by <who>', 'who asks, recorded in progress (default: user@host)')
      .option('--reason <text>', "why; recorded in the deployment's progress")
      .option('--timeout <seconds>', 'give up when no worker answers within this time', parseSeconds, 15);
    if (control.command === 'rollback') {
      command.option('--force', 'a deployment that already ended: roll it back even when a newer deployment of its environment exists');
    }
    command.addHelpText('after', helpText(control));
    command.action((ref: string, opts: ControlOptions & { timeout: number; force?: boolean }) =>
      control.command === 'rollback' ? rollback(ref, opts) : sendControl(control, ref, opts),
    );
  }

  program
    .command('continue-rollback')
    .description('Unblock a ROLLBACK_BLOCKED rollback: retry the failed compensations, or skip resources (reported as retained).')
    .argument('<deployment>', 'a deployment ID (dep-…) or <name>/<environment>')
    .option('--retry', 'run the blocked compensations again (after fixing their cause)')
    .option('--skip <ids...>', 'resource IDs (or service names) to give up on')
    .option('--by <who>', 'who asks, recorded in progress (default: user@host)')
    .option('--reason <text>', "why; recorded in the deployment's progress")
    .option('--timeout <seconds>', 'give up when no worker answers within this time', parseSeconds, 15)
    .addHelpText(
      'after',
      '\nExamples:\n  tugboat continue-rollback shop/prod --retry\n  tugboat continue-rollback shop/prod --skip database-00000a\n\n' +
        'The same request from the temporal CLI (an update: refused with the same reason):\n' +
        `  temporal workflow update execute --workflow-id deploy-shop.prod --name ${continueRollbackUpdate.name} --input '{"retry":true}'\n` +
        `From the Web UI: Send Signal, name "${continueRollbackSignal.name}", input {"skip":["database-00000a"]}\n\n` +
        EXIT_CODES,
    )
    .action((ref: string, opts: { retry?: boolean; skip?: string[]; by?: string; reason?: string; timeout: number }) => {
      if (Boolean(opts.retry) === Boolean(opts.skip?.length)) {
        throw new CliError('say either --retry or --skip <ids...>, exactly one of them', ExitCode.badInput);
      }
      const by = opts.by?.trim() || operatorIdentity();
      return withClient(async (client) => {
        const handle = await runningHandle(client, ref);
        const answer = await sendRequest(
          client,
          handle,
          continueRollbackUpdate,
          { retry: opts.retry, skip: opts.skip, by, reason: opts.reason },
          opts.timeout * 1000,
        );
        printAccepted(ref, answer);
      });
    });
}
