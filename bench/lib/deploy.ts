/**
 * One deployment, waited for to its end: started through the client library (startDeployment, as
 * `tugboat deploy` does, preflight included) or through the real CLI spawned as a user runs it
 * (`node bin/tugboat.js deploy <file>`, stdout not a terminal, so plain lines). Either way the
 * wall time is the workflow's own, first run's start to last run's close, read from Temporal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { startDeployment } from '../../src/client/deployments';
import { validateManifestOrThrow } from '../../src/manifest/validate';
import { runProcess } from '../../src/system/process';
import { chainWallMs, runChain } from './history';
import { CLI, type BenchStack } from './stack';
import type { DeployOptions, DeployOutcome } from './types';

const DEFAULT_TIMEOUT_MS = 45 * 60_000;

/** How often a long wait says it is still waiting (one describe call: no query, no history read). */
const PROGRESS_EVERY_MS = 60_000;

export async function deploy(
  stack: BenchStack,
  raw: unknown,
  opts: DeployOptions = {},
  log: (msg: string) => void = () => undefined,
): Promise<DeployOutcome> {
  const manifest = validateManifestOrThrow(raw);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (opts.follow) return deployWithCli(stack, raw, manifest.deployment.name, timeoutMs, opts.preflight, log);
  const { handle, runId } = await startDeployment(stack.client, manifest, { taskQueue: stack.taskQueue, preflight: opts.preflight });
  const { result, phase } = await awaitEnd(stack, handle, timeoutMs, log);
  return { ...(await wallOf(stack.client, handle.workflowId, runId)), result, phase, handle, runId };
}

/** The workflow's result and phase, or its close status when it failed; throws if the worker died or time ran out. */
async function awaitEnd(
  stack: BenchStack,
  handle: WorkflowHandle,
  timeoutMs: number,
  log: (msg: string) => void,
): Promise<{ result: unknown; phase: string }> {
  let timer: NodeJS.Timeout | undefined;
  const began = Date.now();
  const progress = setInterval(() => {
    handle.describe().then(
      (d) => log(`${handle.workflowId}: ${d.status.name} after ${Math.round((Date.now() - began) / 1000)} s, ${d.historyLength} events in its history`),
      () => undefined,
    );
  }, PROGRESS_EVERY_MS);
  const workerDied = stack.worker.process.exited.then((exit) => {
    throw new Error(`the worker process exited (${exit.code ?? exit.signal}) during ${handle.workflowId}:\n${stack.worker.outputTail.join('\n')}`);
  });
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${handle.workflowId} did not end within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    const result = (await Promise.race([handle.result(), workerDied, timedOut])) as { phase?: string } | undefined;
    return { result, phase: result?.phase ?? 'COMPLETED' };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const { status } = await handle.describe();
    return { result: undefined, phase: `${status.name}: ${err.cause?.message ?? err.message}` };
  } finally {
    clearTimeout(timer);
    clearInterval(progress);
    workerDied.catch(() => undefined);
  }
}

/** Wall time of the execution chain that starts with runId (several runs if it continued as new). */
async function wallOf(client: Client, workflowId: string, runId: string): Promise<{ wallMs: number; runs: number }> {
  const first = await client.workflow.getHandle(workflowId, runId).describe();
  if (first.status.name !== 'CONTINUED_AS_NEW') {
    return { wallMs: (first.closeTime?.getTime() ?? NaN) - first.startTime.getTime(), runs: 1 };
  }
  const runs = await runChain(client, workflowId, runId);
  return { wallMs: chainWallMs(runs), runs: runs.length };
}

async function deployWithCli(
  stack: BenchStack,
  raw: unknown,
  name: string,
  timeoutMs: number,
  preflight: boolean | undefined,
  log: (msg: string) => void,
): Promise<DeployOutcome> {
  const file = path.join(stack.tmpDir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(raw));
  let startLine: RegExpExecArray | null = null;
  let lines = 0;
  // runProcess keeps the beginning of stdout; the end (the final status) is what tells how it ended.
  const lastLines: string[] = [];
  const started = Date.now();
  const run = await runProcess([process.execPath, CLI, 'deploy', file, ...(preflight === false ? ['--no-preflight'] : [])], {
    env: stack.env,
    cwd: stack.tmpDir,
    signal: AbortSignal.timeout(timeoutMs),
    maxStdoutBytes: 0,
    stderrTailLines: 40,
    onLine: (line, stream) => {
      if (stream === 'stdout') {
        lines++;
        lastLines.push(line);
        if (lastLines.length > 15) lastLines.shift();
      }
      startLine ??= /^deployment (\S+) started \(workflow (\S+),/.exec(line);
    },
  });
  const cliWallMs = Date.now() - started;
  const cli = {
    wallMs: cliWallMs,
    code: run.code,
    signal: run.signal,
    stdoutLines: lines,
    stderrTail: run.stderrTail.join('\n'),
    stdoutTail: lastLines.join('\n'),
  };
  const match = startLine as RegExpExecArray | null;
  if (!match) {
    // Never started: nothing to measure on the Temporal side.
    return { wallMs: NaN, result: undefined, phase: 'NOT_STARTED', handle: stack.client.workflow.getHandle(`none-${name}`), runId: '', runs: 0, cli };
  }
  const workflowId = match[2];
  // The run the CLI started: the latest one of its workflow ID (deployments here run one at a time).
  const { runId } = await stack.client.workflow.getHandle(workflowId).describe();
  const first = await firstRunOf(stack.client, workflowId, runId);
  const handle = stack.client.workflow.getHandle(workflowId, first);
  // The CLI may have stopped following early (it is the thing measured): the deployment still ends.
  const { result, phase } = await awaitEnd(stack, handle, timeoutMs, log);
  return { ...(await wallOf(stack.client, workflowId, first)), result, phase, handle, runId: first, cli };
}

/** The first run of the chain `runId` belongs to (the describe of a continued run names it). */
async function firstRunOf(client: Client, workflowId: string, runId: string): Promise<string> {
  const description = await client.workflow.getHandle(workflowId, runId).describe();
  return description.raw.workflowExecutionInfo?.firstRunId || runId;
}
