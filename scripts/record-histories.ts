/**
 * Regenerates the replay fixtures in test/histories/ by running each scenario on a fresh local
 * dev server. Tests never write fixtures: run this on purpose (npm run histories:record) when a
 * deliberate change to workflow code alters the command sequence, and commit the result with a
 * message that says why. Old fixtures of released versions must keep replaying (patched()).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { TUGBOAT_DEPLOYMENT } from '../src/api/search-attributes';
import { environmentWorkflowId, newDeploymentId } from '../src/client/deployment-id';
import { startDeployment } from '../src/client/deployments';
import { startRollbackRelease } from '../src/client/rollback-release';
import { deploymentWorkflow } from '../src/workflows';
import { sendRequest } from '../src/client/operations';
import {
  acceptUpdate,
  approveUpdate,
  cancelSignal,
  continueRollbackUpdate,
  pauseUpdate,
  progressQuery,
  resumeSignal,
  resumeUpdate,
  retryServiceUpdate,
} from '../src/api/messages';
import type { DeploymentProgress } from '../src/api/progress';
import { validateManifestOrThrow } from '../src/manifest/validate';
import type { Manifest, ServiceInput } from '../src/manifest/schema';
import { SimCloudClient } from '../src/simcloud';
import type { NativeConnection } from '@temporalio/worker';
import { createClient } from 'redis';
import { ingressWorkflowId } from '../src/api/workflow-ids';
import { ingressKeys, resultKey, startIngress } from '../src/ingress';
import { KEY_FILE_VAR, KEYS_VAR } from '../src/codec';
import { withEphemeralStack } from './lib/ephemeral-stack';
import { REPLAY_CODEC_MARKER, REPLAY_TEST_CODEC_KEYS } from './lib/replay-codec-key';

const OUT_DIR = path.resolve(__dirname, '..', 'test', 'histories');
const TASK_QUEUE = 'record-histories';

interface Scenario {
  name: string;
  services: ServiceInput[];
  strategy?: { max_parallel?: number; execution?: 'eager' | 'waves'; on_failure?: 'rollback' | 'halt' | 'continue' | 'rollback-subgraph'; bake?: string };
  /** Notification webhooks; `SIM` is replaced by the sim cloud's URL (it answers 404: recorded as not delivered). */
  notify?: Array<{ webhook: string; on?: Array<'approval_needed' | 'approval_escalation' | 'halted' | 'partial' | 'rolled_back' | 'rollback_blocked' | 'succeeded' | 'failed'> }>;
  rollback_strategy?: 'automated' | 'manual';
  /** Deployment health checks; `SIM` is replaced by the sim cloud's URL. */
  health_checks?: Array<{ endpoint: string }>;
  /** Set up before the deployment starts (holds, overrides). */
  before?: (cloud: SimCloudClient) => Promise<void>;
  /** Started as `temporal workflow start` would: the raw manifest, no client plan in the input. */
  handStarted?: boolean;
  /** Drives the deployment to its end: operator requests, releases. */
  drive?: (ctx: { cloud: SimCloudClient; client: Client; handle: WorkflowHandle }) => Promise<void>;
  /**
   * After the deployment ended and its histories were written: starts further workflows (on the
   * same environment) and returns them, each recorded as `<scenario>.<suffix>.json` once it ended.
   */
  after?: (ctx: { client: Client; connection: NativeConnection; deploymentId: string }) => Promise<Array<{ suffix: string; handle: WorkflowHandle }>>;
  /** Recorded with payload encryption on (the committed test-only key, ./lib/replay-codec-key.ts). */
  encrypted?: boolean;
}

const waitForPhase = async (handle: WorkflowHandle, done: (p: DeploymentProgress) => boolean) => {
  for (let i = 0; i < 600; i++) {
    const p = await handle.query(progressQuery).catch(() => undefined);
    if (p && done(p)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('scenario did not reach its expected state in 60 s');
};

const ms = (d: string) => ({ duration: d });
/** rollback-release: v1 is the recorded deployment, v2 follows and is rolled back after it ended. */
const releaseAt = (version: string): ServiceInput[] => [
  { name: 'base', type: 'terraform', version, simulate: ms('20ms') },
  { name: 'api', type: 'kubernetes', version, dependencies: ['base'], simulate: ms('20ms') },
];
/** Two quick services, api after base: the scenarios that only need something to hold and signal. */
const baseAndApi = (): ServiceInput[] => [
  { name: 'base', type: 'terraform', simulate: ms('20ms') },
  { name: 'api', type: 'kubernetes', dependencies: ['base'], simulate: ms('20ms') },
];
const SCENARIOS: Scenario[] = [
  {
    name: 'ecommerce-success',
    health_checks: [{ endpoint: 'SIM/health/frontend-app' }],
    services: [
      { name: 'vpc', type: 'terraform', simulate: ms('20ms') },
      { name: 'rds-database', type: 'terraform', dependencies: ['vpc'], config: { vpc_id: '${{ services.vpc.outputs.vpc_id }}' }, retry: { initial_interval: '100ms' }, simulate: { duration: '20ms', fail_transient: 1 } },
      { name: 'k8s-cluster', type: 'kubernetes', dependencies: ['vpc'], simulate: ms('20ms') },
      { name: 'backend-api', type: 'kubernetes', dependencies: ['k8s-cluster', 'rds-database'], simulate: ms('20ms') },
      { name: 'frontend-app', type: 'kubernetes', dependencies: ['k8s-cluster', 'backend-api'], simulate: ms('20ms') },
      { name: 'monitoring', type: 'monitoring', dependencies: ['k8s-cluster'], simulate: ms('20ms') },
    ],
  },
  {
    name: 'permanent-failure-rollback',
    services: [
      { name: 'base', type: 'terraform', simulate: ms('20ms') },
      { name: 'db', type: 'terraform', dependencies: ['base'], on_rollback: 'retain', simulate: ms('20ms') },
      { name: 'api', type: 'kubernetes', dependencies: ['db'], simulate: { duration: '20ms', fail_permanent: true } },
      { name: 'web', type: 'kubernetes', dependencies: ['api'], simulate: ms('20ms') },
      { name: 'metrics', type: 'monitoring', dependencies: ['base'], simulate: ms('20ms') },
    ],
    before: (cloud) => cloud.hold('metrics', 'verify'),
    drive: async ({ cloud, handle }) => {
      await waitForPhase(handle, (p) => p.phase === 'ROLLED_BACK');
      await cloud.release('metrics', 'verify');
    },
  },
  {
    name: 'cancel-signal',
    services: baseAndApi(),
    before: (cloud) => cloud.hold('api', 'apply'),
    drive: async ({ cloud, handle }) => {
      await cloud.waitUntilHeld('api', 'apply');
      await handle.signal(cancelSignal, { by: 'recorder', reason: 'fixture' });
      await waitForPhase(handle, (p) => p.phase === 'CANCELLED');
      await cloud.release('api', 'apply');
    },
  },
  {
    // A cancel signal of the wrong shape is ignored (PATCH_SIGNAL_PAYLOAD_CHECK); the run goes on and succeeds.
    name: 'bad-signal-payload',
    services: baseAndApi(),
    before: (cloud) => cloud.hold('api', 'apply'),
    drive: async ({ cloud, handle }) => {
      await cloud.waitUntilHeld('api', 'apply');
      await handle.signal(cancelSignal, 42 as never);
      await waitForPhase(handle, (p) => p.requests.some((r) => r.kind === 'cancel' && r.outcome === 'ignored'));
      await cloud.release('api', 'apply');
    },
  },
  {
    name: 'blocked-then-retried',
    services: [
      { name: 'base', type: 'terraform', rollback_retry: { max_attempts: 2, initial_interval: '50ms' }, simulate: { duration: '20ms', fail_compensation: true } },
      { name: 'api', type: 'kubernetes', dependencies: ['base'], simulate: { duration: '20ms', fail_permanent: true } },
    ],
    drive: async ({ cloud, handle, client }) => {
      await waitForPhase(handle, (p) => p.phase === 'ROLLBACK_BLOCKED');
      await cloud.setOverride('base', { fail_compensation: false });
      await sendRequest(client, handle, continueRollbackUpdate, { retry: true, by: 'recorder' });
      await waitForPhase(handle, (p) => p.phase === 'ROLLED_BACK');
      await cloud.clearOverride('base');
    },
  },
  {
    name: 'manual-accept',
    rollback_strategy: 'manual',
    services: [
      { name: 'base', type: 'terraform', simulate: ms('20ms') },
      { name: 'api', type: 'kubernetes', dependencies: ['base'], simulate: { duration: '20ms', fail_permanent: true } },
    ],
    drive: async ({ client, handle }) => {
      await waitForPhase(handle, (p) => p.awaitingDecision === true);
      await sendRequest(client, handle, acceptUpdate, { by: 'recorder' });
    },
  },
  {
    name: 'hand-started',
    handStarted: true,
    services: [
      { name: 'base', type: 'terraform', simulate: ms('20ms') },
      { name: 'api', type: 'kubernetes', dependencies: ['base'], simulate: ms('20ms') },
    ],
  },
  {
    name: 'waves-capped',
    strategy: { max_parallel: 2, execution: 'waves' },
    services: [
      { name: 'a', type: 'shell', simulate: ms('20ms') },
      { name: 'b', type: 'shell', simulate: ms('20ms') },
      { name: 'c', type: 'shell', simulate: ms('20ms') },
      { name: 'd', type: 'shell', dependencies: ['a'], simulate: ms('20ms') },
    ],
  },
  {
    name: 'rollback-release',
    services: releaseAt('v1'),
    after: async ({ client }) => {
      const v2 = validateManifestOrThrow({ deployment: { name: 'rollback-release', environment: 'fixture', services: releaseAt('v2') } });
      const { handle, deploymentId } = await startDeployment(client, v2, { taskQueue: TASK_QUEUE });
      await handle.result();
      const rollback = await startRollbackRelease(client, {
        name: 'rollback-release',
        environment: 'fixture',
        targetDeploymentId: deploymentId,
        taskQueue: TASK_QUEUE,
        by: 'recorder',
        reason: 'fixture',
      });
      return [{ suffix: 'rollback', handle: rollback.handle }];
    },
  },
  {
    // Specialty task queues: steps (and, behind the patch, compensations) scheduled on <queue>-infra.
    name: 'specialty-queues-rollback',
    services: [
      { name: 'net', type: 'terraform', task_queue: 'infra', simulate: ms('20ms') },
      { name: 'api', type: 'kubernetes', dependencies: ['net'], simulate: { duration: '20ms', fail_permanent: true } },
    ],
  },
  {
    // A task taken from Redis by the real ingress (the machine's Redis, TUGBOAT_REDIS_URL): its
    // ingressTaskWorkflow starts the deployment as a child and publishes the result.
    name: 'ingress-task',
    services: [{ name: 'api', type: 'kubernetes', simulate: ms('20ms') }],
    after: async ({ client, connection }) => {
      const keys = ingressKeys(`${TASK_QUEUE}:${Date.now()}:pending`);
      const ingress = await startIngress({
        redisUrl: process.env.TUGBOAT_REDIS_URL || 'redis://127.0.0.1:6379',
        keys,
        taskQueue: TASK_QUEUE,
        client,
        connection,
        namespace: client.options.namespace,
        log: () => undefined,
      });
      const redis = createClient({ url: process.env.TUGBOAT_REDIS_URL || 'redis://127.0.0.1:6379' });
      await redis.connect();
      try {
        const id = `fixture-${Date.now()}`;
        const deployment = { name: 'ingress-task', environment: 'fixture-ingress', services: [{ name: 'api', type: 'kubernetes', simulate: ms('20ms') }] };
        await redis.lPush(keys.pending, JSON.stringify({ id, manifest: { deployment }, requested_by: 'recorder' }));
        const handle = client.workflow.getHandle(ingressWorkflowId(id));
        for (let i = 0; i < 600 && !(await redis.exists(resultKey(keys, id))); i++) await new Promise((r) => setTimeout(r, 100));
        await redis.del([keys.pending, keys.processing, resultKey(keys, id)]);
        return [{ suffix: 'ingress', handle }];
      } finally {
        await redis.close();
        await ingress.stop();
      }
    },
  },
  {
    name: 'operators-halt-retry',
    strategy: { on_failure: 'halt' },
    services: [
      { name: 'base', type: 'terraform', simulate: ms('20ms') },
      { name: 'api', type: 'kubernetes', dependencies: ['base'], simulate: ms('20ms') },
      { name: 'web', type: 'kubernetes', dependencies: ['api'], simulate: ms('20ms') },
    ],
    notify: [{ webhook: 'SIM/hooks/fixture', on: ['halted', 'succeeded'] }],
    before: (cloud) => cloud.setOverride('api', { fail_permanent: true }),
    drive: async ({ cloud, client, handle }) => {
      await waitForPhase(handle, (p) => p.phase === 'HALTED');
      await cloud.clearOverride('api');
      await sendRequest(client, handle, retryServiceUpdate, { service: 'api', by: 'recorder', reason: 'fixed' });
    },
  },
  {
    name: 'operators-approval-pause',
    services: [
      { name: 'db', type: 'terraform', approval: { required: true, timeout: '10m', notify_before: '5m' }, simulate: ms('20ms') },
      { name: 'app', type: 'kubernetes', dependencies: ['db'], simulate: ms('20ms') },
      { name: 'side', type: 'kubernetes', simulate: ms('20ms') },
    ],
    notify: [{ webhook: 'SIM/hooks/fixture', on: ['approval_needed'] }],
    drive: async ({ client, handle }) => {
      await waitForPhase(handle, (p) => p.services.db.state === 'AWAITING_APPROVAL' && p.services.side.state === 'SUCCEEDED');
      await handle.signal(resumeSignal, { by: 'recorder' }); // refused: recorded as ignored
      await sendRequest(client, handle, pauseUpdate, { by: 'recorder' });
      await sendRequest(client, handle, approveUpdate, { service: 'db', by: 'recorder', reason: 'fixture' });
      await waitForPhase(handle, (p) => p.phase === 'PAUSED');
      await sendRequest(client, handle, resumeUpdate, { by: 'recorder' });
    },
  },
  {
    name: 'operators-continue',
    strategy: { on_failure: 'continue' },
    services: [
      { name: 'base', type: 'terraform', simulate: ms('20ms') },
      { name: 'api', type: 'kubernetes', dependencies: ['base'], simulate: { duration: '20ms', fail_permanent: true } },
      { name: 'web', type: 'kubernetes', dependencies: ['api'], simulate: ms('20ms') },
      { name: 'worker', type: 'kubernetes', dependencies: ['base'], simulate: ms('20ms') },
    ],
  },
  {
    // Payload encryption on (src/codec): inputs, results, progress and failure messages encrypted,
    // a failure and its rollback among them. Replayed with the same test-only key.
    name: 'encrypted-failure-rollback',
    encrypted: true,
    services: [
      { name: 'base', type: 'terraform', config: { contact: REPLAY_CODEC_MARKER }, simulate: ms('20ms') },
      { name: 'api', type: 'kubernetes', dependencies: ['base'], config: { base: '${{ services.base.outputs.id }}' }, simulate: { duration: '20ms', fail_permanent: true } },
    ],
  },
  {
    name: 'operators-bake',
    strategy: { bake: '1s' },
    services: [{ name: 'api', type: 'kubernetes', version: 'v1', simulate: ms('20ms'), health_check: { url: 'SIM/health/api', interval: '250ms' } }],
  },
];

/**
 * Usage: record-histories [--only <scenario>[,<scenario>…]] [--label <label>]
 * --label writes <scenario>@<label>.*.json beside the existing fixtures instead of replacing them:
 * how a patched() change adds histories of the new code path while the old ones keep proving the
 * old path still replays.
 */
function parseArgs(argv: string[]): { only?: string[]; label?: string } {
  const out: { only?: string[]; label?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') out.only = argv[++i]?.split(',');
    else if (argv[i] === '--label') out.label = argv[++i];
    else throw new Error(`unknown argument ${argv[i]}; usage: record-histories [--only a,b] [--label name]`);
  }
  const unknown = (out.only ?? []).filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`no scenario ${unknown.join(', ')}; have ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return out;
}

async function main(): Promise<void> {
  const { only, label } = parseArgs(process.argv.slice(2));
  const chosen = SCENARIOS.filter((s) => !only || only.includes(s.name));
  const recordAll = (scenarios: Scenario[]) =>
    withEphemeralStack(TASK_QUEUE, async ({ client, connection, simCloudUrl }) => {
      for (const scenario of scenarios) await record({ client, connection }, scenario, new SimCloudClient(simCloudUrl), simCloudUrl, label);
    });
  const plain = chosen.filter((s) => !s.encrypted);
  const encrypted = chosen.filter((s) => s.encrypted);
  if (plain.length > 0) await withCodecKeys(undefined, () => recordAll(plain));
  // The stack's client and worker take their converter from the environment (src/codec).
  if (encrypted.length > 0) await withCodecKeys(REPLAY_TEST_CODEC_KEYS, () => recordAll(encrypted));
}

/** Runs `work` with exactly these codec keys in the environment (none: the machine's are set aside). */
async function withCodecKeys(keys: string | undefined, work: () => Promise<void>): Promise<void> {
  const saved = { keys: process.env[KEYS_VAR], file: process.env[KEY_FILE_VAR] };
  delete process.env[KEY_FILE_VAR];
  if (keys) process.env[KEYS_VAR] = keys;
  else delete process.env[KEYS_VAR];
  try {
    await work();
  } finally {
    for (const [name, value] of [[KEYS_VAR, saved.keys], [KEY_FILE_VAR, saved.file]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

async function record(
  { client, connection }: { client: Client; connection: NativeConnection },
  scenario: Scenario,
  cloud: SimCloudClient,
  simUrl: string,
  label?: string,
): Promise<void> {
  const fixture = label ? `${scenario.name}@${label}` : scenario.name;
  const manifest = validateManifestOrThrow({
    deployment: {
      name: scenario.name,
      environment: 'fixture',
      strategy: scenario.strategy ?? {},
      rollback_strategy: scenario.rollback_strategy ?? 'automated',
      health_checks: (scenario.health_checks ?? []).map((h) => ({ endpoint: h.endpoint.replace('SIM', simUrl) })),
      ...(scenario.notify ? { notify: scenario.notify.map((n) => ({ ...n, webhook: n.webhook.replace('SIM', simUrl) })) } : {}),
      services: scenario.services.map((s) =>
        s.health_check ? { ...s, health_check: { ...s.health_check, url: s.health_check.url.replace('SIM', simUrl) } } : s,
      ),
    },
  });
  await scenario.before?.(cloud);
  const { handle, deploymentId } = scenario.handStarted
    ? await startByHand(client, scenario)
    : await startDeployment(client, manifest, { taskQueue: TASK_QUEUE });
  await Promise.all([handle.result().catch(() => undefined), scenario.drive?.({ cloud, client, handle })]);
  await write(`${fixture}.parent`, handle);
  for (const service of scenario.services) {
    const child = client.workflow.getHandle(`${deploymentId}.${service.name}`);
    const exists = await child.describe().then(
      () => true,
      () => false,
    );
    if (exists) await write(`${fixture}.${service.name}`, child);
  }
  for (const next of (await scenario.after?.({ client, connection, deploymentId })) ?? []) {
    await next.handle.result().catch(() => undefined);
    await write(`${fixture}.${next.suffix}`, next.handle);
  }
}

async function startByHand(client: Client, scenario: Scenario): Promise<{ handle: WorkflowHandle; deploymentId: string }> {
  const deploymentId = newDeploymentId();
  const raw = { deployment: { name: scenario.name, environment: 'fixture', services: scenario.services } };
  const handle = await client.workflow.start(deploymentWorkflow, {
    workflowId: `${environmentWorkflowId(scenario.name, 'fixture')}`,
    taskQueue: TASK_QUEUE,
    args: [{ deploymentId, manifest: raw as unknown as Manifest }],
    typedSearchAttributes: [{ key: TUGBOAT_DEPLOYMENT, value: deploymentId }],
  });
  return { handle, deploymentId };
}

async function write(name: string, handle: WorkflowHandle): Promise<void> {
  const history = await handle.fetchHistory();
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ workflowId: handle.workflowId, history: JSON.parse(historyToJSON(history)) }, null, 1)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), file)} (${history.events?.length ?? 0} events)`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
