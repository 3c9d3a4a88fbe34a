/**
 * One seed, start to end: plan, release files, the seed's stack (cloud, schema behind the proxy,
 * two workers), faults armed, the deployment started, faults injected at their points while it
 * runs, then the checks. A deployment still running at the deadline is a violation (a hang),
 * reported with its seed like any other.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Client as PgClient } from 'pg';
import type { DeploymentResult } from '../../src/api/progress';
import { newDeploymentId } from '../../src/client/deployment-id';
import { startDeployment } from '../../src/client/deployments';
import { loadManifestFile } from '../../src/manifest/load';
import type { CleanupStack } from '../../src/system/cleanup';
import { dropSchemas, TEST_POSTGRES_URL } from '../../test/support/postgres';
import { checkRun } from './checks';
import { armFaults, parentWorkflowId, runFaults, type InjectedFault } from './faults';
import { writeRelease } from './manifest';
import { planFor, type ChaosPlan } from './plan';
import { makeRunDir, ROOT_DIR, startSeedStack, type ServerStack, type SeedStack } from './stack';

/** A run still going after this is hung (runs take well under a minute; each worker kill adds a 10 s heartbeat timeout). */
export const RUN_DEADLINE_MS = 180_000;
const POLL_MS = 200;

export interface SeedReport {
  seed: number;
  plan: ChaosPlan;
  faults: InjectedFault[];
  actualPhase: string;
  resourcesChecked: number;
  historiesReplayed: number;
  violations: string[];
  seconds: number;
  /** Kept for a look when the run had a violation: worker logs, release, traces. */
  keptDir?: string;
}

export async function runSeed(opts: {
  seed: number;
  server: ServerStack;
  cleanup: CleanupStack;
  log: (msg: string) => void;
  deadlineMs?: number;
  bundlePath?: string;
}): Promise<SeedReport> {
  const { seed, server, cleanup, log } = opts;
  const began = Date.now();
  const plan = planFor(seed);
  const dir = makeRunDir(`tugboat-chaos-${seed}-`);
  const suffix = crypto.randomBytes(3).toString('hex');
  const name = `chaos-${seed}-${suffix}`;
  const schema = `chaos_${seed}_${suffix}`;
  const violations: string[] = [];
  let keep = false;
  cleanup.push(() => (keep ? undefined : fs.rmSync(dir, { recursive: true, force: true })));
  cleanup.push(() => dropSchemas(schema));

  const pg = new PgClient({ connectionString: TEST_POSTGRES_URL });
  await pg.connect();
  cleanup.push(() => pg.end());

  const release = writeRelease(dir, plan, name);
  const stack: SeedStack = await startSeedStack({ server, cleanup, dir, taskQueue: name, schema, log });
  await armFaults({ plan, release, server, stack, log });

  const deploymentId = newDeploymentId();
  const workflowId = parentWorkflowId({ release });
  let signalClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (signalClosed = resolve));
  const { manifest } = await loadManifestFile(release.manifestFile);
  const { handle } = await startDeployment(server.client, manifest, { taskQueue: stack.taskQueue, source: release.manifestFile, deploymentId });
  log(`seed ${seed}: deployment ${deploymentId} started (${plan.faults.length} fault(s), expecting ${plan.expectedPhase})`);
  const faultsDone = runFaults({ plan, deploymentId, release, client: server.client, server, stack, pg, closed, log });

  const deadline = began + (opts.deadlineMs ?? RUN_DEADLINE_MS);
  let running = true;
  while (running && Date.now() < deadline) {
    // The server may be down for a moment (a restart fault): keep asking until the deadline.
    running = await handle
      .describe()
      .then((d) => d.status.name === 'RUNNING')
      .catch(() => true);
    if (running) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  signalClosed();
  if (running) {
    const workers = stack.workers.map((w) => `worker ${w.index} ${w.alive ? 'alive' : 'gone'}`).join(', ');
    violations.push(`hung: ${workflowId} still RUNNING after ${Math.round((opts.deadlineMs ?? RUN_DEADLINE_MS) / 1000)} s (${workers})`);
  }
  const faults = await faultsDone;

  if (process.env.CHAOS_TIMELINE) await logTimeline(server, workflowId, began, log);
  let result: DeploymentResult | undefined;
  if (!running) result = await resultOf(handle.result());
  const checks = await checkRun({
    plan,
    deploymentId,
    workflowId,
    release,
    client: server.client,
    cloud: stack.cloud,
    pg,
    schema,
    result,
    bundlePath: opts.bundlePath ?? path.join(ROOT_DIR, 'dist', 'workflow-bundle.js'),
  });
  violations.push(...checks.violations);
  violations.push(...stack.workers.flatMap((w) => w.crashes));
  if (violations.length > 0) {
    keep = true;
    fs.writeFileSync(path.join(dir, 'violations.json'), JSON.stringify({ seed, deploymentId, violations, faults, result }, null, 2));
  }
  return {
    seed,
    plan,
    faults,
    actualPhase: running ? 'RUNNING (hung)' : (result?.phase ?? 'unknown'),
    resourcesChecked: checks.resourcesChecked,
    historiesReplayed: checks.historiesReplayed,
    violations,
    seconds: (Date.now() - began) / 1000,
    ...(keep ? { keptDir: dir } : {}),
  };
}

/** A closed deployment's result: its return value, or the details of the failure it closed with. */
async function resultOf(promise: Promise<unknown>): Promise<DeploymentResult | undefined> {
  try {
    return (await promise) as DeploymentResult;
  } catch (err) {
    const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
    return cause instanceof ApplicationFailure ? (cause.details?.[0] as DeploymentResult | undefined) : undefined;
  }
}

/** CHAOS_TIMELINE=1: when each child started and closed, seconds from the seed's start (where a slow run spent its time). */
async function logTimeline(server: ServerStack, workflowId: string, began: number, log: (msg: string) => void): Promise<void> {
  const history = await server.client.workflow.getHandle(workflowId).fetchHistory();
  const at = (e: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }) =>
    ((Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6 - began) / 1000).toFixed(1);
  for (const e of history.events ?? []) {
    const started = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
    const done = (e.childWorkflowExecutionCompletedEventAttributes ?? e.childWorkflowExecutionFailedEventAttributes)?.workflowExecution?.workflowId;
    const activity = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (started) log(`  ${at(e)} s start ${started.split('.').pop()}`);
    if (done) log(`  ${at(e)} s done  ${done.split('.').pop()}`);
    if (activity) log(`  ${at(e)} s activity ${activity}`);
  }
}
