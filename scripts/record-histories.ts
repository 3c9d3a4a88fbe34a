/**
 * Regenerates the replay fixtures in test/histories/ by running each scenario on a fresh local
 * dev server. Tests never write fixtures: run this on purpose (npm run histories:record) when a
 * deliberate change to workflow code alters the command sequence, and commit the result with a
 * message that says why. Old fixtures of released versions must keep replaying (patched()).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection } from '@temporalio/worker';
import { connectClient } from '../src/client/connection';
import { startDeployment } from '../src/client/deployments';
import { validateManifestOrThrow } from '../src/manifest/validate';
import type { ServiceInput } from '../src/manifest/schema';
import { findTemporalCli } from '../src/server/temporal-cli';
import { freePort, startDevServer } from '../src/server/dev-server';
import { SimCloudClient, startSimCloud } from '../src/simcloud';
import { createTugboatWorker } from '../src/worker';
import { installWorkerLogging } from '../src/worker/logging';

const OUT_DIR = path.resolve(__dirname, '..', 'test', 'histories');
const TASK_QUEUE = 'record-histories';

interface Scenario {
  name: string;
  services: ServiceInput[];
  strategy?: { max_parallel?: number; execution?: 'eager' | 'waves' };
  /** Runs against the cloud while the deployment goes, e.g. holds for a deterministic shape. */
  drive?: (cloud: SimCloudClient) => Promise<void>;
}

const ms = (d: string) => ({ duration: d });
const SCENARIOS: Scenario[] = [
  {
    name: 'ecommerce-success',
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
    name: 'permanent-failure',
    services: [
      { name: 'base', type: 'terraform', simulate: ms('20ms') },
      { name: 'api', type: 'kubernetes', dependencies: ['base'], simulate: { duration: '20ms', fail_permanent: true } },
      { name: 'web', type: 'kubernetes', dependencies: ['api'], simulate: ms('20ms') },
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
];

async function main(): Promise<void> {
  installWorkerLogging('ERROR');
  const binary = await findTemporalCli({ log: console.log });
  const server = await startDevServer({ binary, port: await freePort(), uiPort: false });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-record-'));
  const sim = await startSimCloud({ port: 0, stateFile: path.join(tmp, 'simcloud.json') });
  const connection = await NativeConnection.connect({ address: server.address });
  const worker = await createTugboatWorker({ connection, taskQueue: TASK_QUEUE, simCloudUrl: sim.url, stateDir: path.join(tmp, 'state') });
  const client = await connectClient({ address: server.address, namespace: 'default' });
  try {
    await worker.runUntil(async () => {
      for (const scenario of SCENARIOS) await record(client, scenario, new SimCloudClient(sim.url));
    });
  } finally {
    await client.connection.close();
    await connection.close();
    await sim.close();
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function record(client: Client, scenario: Scenario, cloud: SimCloudClient): Promise<void> {
  const manifest = validateManifestOrThrow({
    deployment: { name: scenario.name, environment: 'fixture', strategy: scenario.strategy ?? {}, services: scenario.services },
  });
  const { handle, deploymentId } = await startDeployment(client, manifest, { taskQueue: TASK_QUEUE });
  await Promise.all([handle.result().catch(() => undefined), scenario.drive?.(cloud)]);
  await write(`${scenario.name}.parent`, handle);
  for (const service of scenario.services) {
    const child = client.workflow.getHandle(`${deploymentId}.${service.name}`);
    const exists = await child.describe().then(
      () => true,
      () => false,
    );
    if (exists) await write(`${scenario.name}.${service.name}`, child);
  }
}

async function write(name: string, handle: WorkflowHandle): Promise<void> {
  const history = await handle.fetchHistory();
  const file = path.join(OUT_DIR, `${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ workflowId: handle.workflowId, history: JSON.parse(historyToJSON(history)) }, null, 1)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), file)} (${history.events?.length ?? 0} events)`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
