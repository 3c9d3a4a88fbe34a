/**
 * What a run must show whatever the faults did (the issue's checks):
 * - the deployment ends in the phase the faults imply (SUCCEEDED, or ROLLED_BACK when a service
 *   fails for good), every service SUCCEEDED in the first case;
 * - each resource created at most once (exactly once when it succeeded): the sim cloud's `/calls`
 *   (`created` applies per service), the shell scripts' own logs, the OpenTofu provisioner's log
 *   and the resources in each OpenTofu state (read from its pg backend);
 * - after a rollback: `orphans: []`, and nothing left in the cloud, the shell logs or tofu states;
 * - after a success: no intent left unconfirmed in the ledger;
 * - the environment lock released: the environment's workflow is closed;
 * - every history, parent and children, replays against the worker's bundle.
 * Each failed check is one violation, in words a person can act on.
 */
import fs from 'node:fs';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { Client as PgClient } from 'pg';
import type { DeploymentResult } from '../../src/api/progress';
import type { SimCloudClient } from '../../src/simcloud';
import type { ReleaseFiles } from './manifest';
import type { ChaosPlan } from './plan';

export interface CheckInput {
  plan: ChaosPlan;
  deploymentId: string;
  workflowId: string;
  release: ReleaseFiles;
  client: Client;
  cloud: SimCloudClient;
  pg: PgClient;
  schema: string;
  result: DeploymentResult | undefined;
  bundlePath: string;
}

export interface CheckOutcome {
  violations: string[];
  /** Resources whose creations were counted. */
  resourcesChecked: number;
  historiesReplayed: number;
}

export async function checkRun(input: CheckInput): Promise<CheckOutcome> {
  const violations: string[] = [];
  const { plan, result } = input;
  const rolledBack = plan.expectedPhase === 'ROLLED_BACK';

  // The phase.
  if (!result) violations.push('no deployment result');
  else {
    if (result.phase !== plan.expectedPhase) violations.push(`phase ${result.phase}, expected ${plan.expectedPhase}${result.error ? ` (${result.error})` : ''}`);
    if (!rolledBack) {
      const notDone = Object.entries(result.services).filter(([, s]) => s.state !== 'SUCCEEDED');
      if (notDone.length > 0) violations.push(`services not SUCCEEDED: ${notDone.map(([n, s]) => `${n}=${s.state}`).join(', ')}`);
    } else if (result.orphans.length > 0) {
      violations.push(`orphans after rollback: ${JSON.stringify(result.orphans)}`);
    }
  }

  // Creations, per kind of executor (meaningless while it still runs: the hang is the violation).
  const created = result ? await creations(input) : new Map<string, Creation>();
  let resourcesChecked = 0;
  for (const s of result ? plan.services : []) {
    const c = created.get(s.name) ?? { creates: 0, live: 0 };
    resourcesChecked++;
    if (c.disagreement) violations.push(`${s.name} (${s.kind}): ${c.disagreement}`);
    if (c.creates > 1) violations.push(`${s.name} (${s.kind}) created ${c.creates} times`);
    if (!rolledBack && c.creates !== 1) violations.push(`${s.name} (${s.kind}) created ${c.creates} times in a deployment that succeeded`);
    if (!rolledBack && c.live !== 1) violations.push(`${s.name} (${s.kind}) has ${c.live} live resources after success`);
    if (rolledBack && c.live !== 0) violations.push(`${s.name} (${s.kind}) left ${c.live} live resource(s) after the rollback`);
  }

  // The ledger: in a release that succeeded, every side effect recorded as an intent was confirmed
  // (a retry after a kill confirms the same key); an intent left open is a step nobody accounted for.
  if (result && !rolledBack) {
    const { rows } = await input.pg.query<{ key: string }>(
      `SELECT idempotency_key AS key FROM "${input.schema}".intents WHERE deployment_id = $1 AND status = 'intent' ORDER BY 1`,
      [input.deploymentId],
    );
    if (rows.length > 0) violations.push(`intents never confirmed: ${rows.map((r) => r.key.split(':').slice(1).join(':')).join(', ')}`);
  }

  // The lock.
  try {
    const { status } = await input.client.workflow.getHandle(input.workflowId).describe();
    if (status.name === 'RUNNING') violations.push(`the environment lock is held: ${input.workflowId} is still RUNNING`);
  } catch (err) {
    violations.push(`could not describe ${input.workflowId}: ${(err as Error).message}`);
  }

  // Replay.
  const replay = await replayAll(input);
  violations.push(...replay.failures);
  return { violations, resourcesChecked, historiesReplayed: replay.replayed };
}

interface Creation {
  creates: number;
  live: number;
  disagreement?: string;
}

async function creations(input: CheckInput): Promise<Map<string, Creation>> {
  const out = new Map<string, Creation>();
  const calls = (await input.cloud.calls({ op: 'apply' })).filter((c) => c.deploymentId === input.deploymentId);
  const resources = (await input.cloud.resources()).filter((r) => r.deploymentId === input.deploymentId);
  const tofuLive = await tofuStateResources(input);
  for (const s of input.plan.services) {
    if (s.kind === 'sim') {
      out.set(s.name, {
        creates: calls.filter((c) => c.service === s.name && c.outcome === 'created').length,
        live: resources.filter((r) => r.service === s.name).length > 0 ? 1 : 0,
      });
    } else if (s.kind === 'shell') {
      const lines = readLines(input.release.shellLog(s.name));
      const creates = lines.filter((l) => l.startsWith(`create ${s.name} `)).length;
      const deletes = lines.filter((l) => l.startsWith(`delete ${s.name} `)).length;
      out.set(s.name, { creates, live: creates - deletes });
    } else {
      const lines = readLines(input.release.tofuLog(s.name));
      const creates = lines.filter((l) => l === 'create').length;
      const destroys = lines.filter((l) => l === 'destroy').length;
      const inState = tofuLive.get(input.release.tofuLog(s.name)) ?? 0;
      out.set(s.name, {
        creates,
        live: inState,
        // The provisioner's log and the state must agree on what is live.
        disagreement: creates - destroys !== inState ? `its provisioner log says ${creates - destroys} live, its OpenTofu state holds ${inState}` : undefined,
      });
    }
  }
  return out;
}

function readLines(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/**
 * The terraform_data instances in every OpenTofu state of the run's schema (the pg backend keeps
 * one schema per service: `<schema>_tofu_<hash>`), keyed by the log path in their input.
 */
async function tofuStateResources(input: CheckInput): Promise<Map<string, number>> {
  const { rows: schemas } = await input.pg.query<{ name: string }>(`SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE $1`, [
    `${input.schema.replace(/_/g, '\\_')}\\_tofu\\_%`,
  ]);
  const live = new Map<string, number>();
  for (const { name } of schemas) {
    const { rows } = await input.pg.query<{ data: string }>(`SELECT data FROM "${name}".states`).catch(() => ({ rows: [] as Array<{ data: string }> }));
    for (const { data } of rows) {
      const state = JSON.parse(data) as { resources?: Array<{ type: string; instances?: Array<{ attributes?: { input?: { value?: { log?: string } } } }> }> };
      for (const r of state.resources ?? []) {
        if (r.type !== 'terraform_data') continue;
        for (const instance of r.instances ?? []) {
          const log = instance.attributes?.input?.value?.log;
          if (log) live.set(log, (live.get(log) ?? 0) + 1);
        }
      }
    }
  }
  return live;
}

/** Replays the parent's history and every child's it started, with the bundle the workers ran. */
async function replayAll(input: CheckInput): Promise<{ replayed: number; failures: string[] }> {
  const failures: string[] = [];
  const histories: Array<{ workflowId: string; history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>> }> = [];
  try {
    const parent = await input.client.workflow.getHandle(input.workflowId).fetchHistory();
    histories.push({ workflowId: input.workflowId, history: parent });
    const children = (parent.events ?? [])
      .map((e) => e.childWorkflowExecutionStartedEventAttributes?.workflowExecution)
      .filter((w): w is NonNullable<typeof w> => Boolean(w?.workflowId));
    for (const child of children) {
      histories.push({
        workflowId: child.workflowId!,
        history: await input.client.workflow.getHandle(child.workflowId!, child.runId ?? undefined).fetchHistory(),
      });
    }
  } catch (err) {
    failures.push(`could not fetch the histories: ${(err as Error).message}`);
    return { replayed: 0, failures };
  }
  let replayed = 0;
  for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: input.bundlePath } }, histories)) {
    replayed++;
    if (r.error) failures.push(`history of ${r.workflowId} does not replay: ${r.error.name}: ${r.error.message}`);
  }
  if (replayed !== histories.length) failures.push(`replayed ${replayed} of ${histories.length} histories`);
  return { replayed, failures };
}
