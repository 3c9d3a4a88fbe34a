/**
 * For `npm run fuzz`'s sample deployments: its own in-memory Temporal dev server (the CLI found as
 * the test suite finds it, never built here), an in-memory simulated cloud and an in-process worker,
 * all stopped by their own handles at the end. Without a Temporal CLI the sample is skipped, saying so.
 */
import { NativeConnection } from '@temporalio/worker';
import { connectLocalClient } from '../../src/client/connection';
import { freePort, startDevServer } from '../../src/server/dev-server';
import { findTemporalCli } from '../../src/server/temporal-cli';
import { SimCloudClient, startSimCloud } from '../../src/simcloud';
import { createTugboatWorker } from '../../src/worker';
import { installWorkerLogging } from '../../src/worker/logging';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SurfaceReport } from './cases';
import { deploySample } from '../properties/deployments';

export async function runDeploymentSample(opts: { count: number; seed: number; log: (line: string) => void }): Promise<SurfaceReport | undefined> {
  const binary = await findTemporalCli({ build: false }).catch((error: Error) => {
    opts.log(`sample deployments skipped: no Temporal CLI (${error.message.split('\n')[0]})`);
    return undefined;
  });
  if (!binary) return undefined;
  installWorkerLogging('ERROR');
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  try {
    const server = await startDevServer({ binary, port: await freePort(), uiPort: false });
    cleanup.push(() => server.stop());
    opts.log(`sample deployments: dev server PID ${server.pid} at ${server.address}`);
    const sim = await startSimCloud({ port: 0 });
    cleanup.push(() => sim.close());
    const client = await connectLocalClient(server.address);
    cleanup.push(() => client.connection.close());
    const connection = await NativeConnection.connect({ address: server.address });
    cleanup.push(() => connection.close());
    const taskQueue = `fuzz-${process.pid}`;
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-fuzz-worker-'));
    cleanup.push(() => fs.rmSync(stateDir, { recursive: true, force: true }));
    const worker = await createTugboatWorker({ connection, namespace: 'default', taskQueue, simCloudUrl: sim.url, stateDir });
    const running = worker.run();
    cleanup.push(async () => {
      worker.shutdown();
      await running;
    });
    return await deploySample({ client, taskQueue, cloud: new SimCloudClient(sim.url), namePrefix: `fuzz-${opts.seed}` }, opts);
  } finally {
    for (const step of cleanup.reverse()) await Promise.resolve(step()).catch((error: unknown) => opts.log(`cleanup: ${String(error)}`));
  }
}
