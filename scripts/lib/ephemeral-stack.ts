/**
 * A throw-away local stack for scripts and benchmarks: an in-memory Temporal dev server on a free
 * port, a simulated cloud, and a worker running for the duration of `work`. Everything started
 * is stopped and removed afterwards, also when setup fails halfway.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { connectLocalClient } from '../../src/client/connection';
import { freePort, startDevServer } from '../../src/server/dev-server';
import { findTemporalCli } from '../../src/server/temporal-cli';
import { startSimCloud } from '../../src/simcloud';
import { CleanupStack } from '../../src/system/cleanup';
import { createTugboatWorker } from '../../src/worker';
import { installWorkerLogging } from '../../src/worker/logging';

export interface EphemeralStack {
  client: Client;
  /** The worker's connection: for more workers a scenario runs (the ingress's result publisher). */
  connection: NativeConnection;
  simCloudUrl: string;
  taskQueue: string;
}

export async function withEphemeralStack(taskQueue: string, work: (stack: EphemeralStack) => Promise<void>): Promise<void> {
  installWorkerLogging('ERROR');
  const cleanup = new CleanupStack();
  try {
    const binary = await findTemporalCli({ log: console.log });
    const server = await startDevServer({ binary, port: await freePort(), uiPort: false });
    cleanup.push(() => server.stop());
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `tugboat-${taskQueue}-`));
    cleanup.push(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const sim = await startSimCloud({ port: 0, stateFile: path.join(tmp, 'simcloud.json') });
    cleanup.push(() => sim.close());
    const connection = await NativeConnection.connect({ address: server.address });
    cleanup.push(() => connection.close());
    const client = await connectLocalClient(server.address);
    cleanup.push(() => client.connection.close());
    const worker = await createTugboatWorker({ connection, taskQueue, simCloudUrl: sim.url, stateDir: path.join(tmp, 'state') });
    await worker.runUntil(work({ client, connection, simCloudUrl: sim.url, taskQueue }));
  } finally {
    for (const err of await cleanup.run()) console.error(`cleanup: ${(err as Error).message}`);
  }
}
