/**
 * A throw-away local stack for scripts and benchmarks: an in-memory Temporal dev server on a free
 * port, a simulated cloud, and a worker running for the duration of `work`. Everything is stopped
 * and removed afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { connectClient } from '../../src/client/connection';
import { freePort, startDevServer } from '../../src/server/dev-server';
import { findTemporalCli } from '../../src/server/temporal-cli';
import { startSimCloud } from '../../src/simcloud';
import { createTugboatWorker } from '../../src/worker';
import { installWorkerLogging } from '../../src/worker/logging';

export interface EphemeralStack {
  client: Client;
  simCloudUrl: string;
  taskQueue: string;
}

export async function withEphemeralStack(taskQueue: string, work: (stack: EphemeralStack) => Promise<void>): Promise<void> {
  installWorkerLogging('ERROR');
  const binary = await findTemporalCli({ log: console.log });
  const server = await startDevServer({ binary, port: await freePort(), uiPort: false });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `tugboat-${taskQueue}-`));
  const sim = await startSimCloud({ port: 0, stateFile: path.join(tmp, 'simcloud.json') });
  const connection = await NativeConnection.connect({ address: server.address });
  const client = await connectClient({ address: server.address, namespace: 'default' });
  try {
    const worker = await createTugboatWorker({ connection, taskQueue, simCloudUrl: sim.url, stateDir: path.join(tmp, 'state') });
    await worker.runUntil(work({ client, simCloudUrl: sim.url, taskQueue }));
  } finally {
    await client.connection.close();
    await connection.close();
    await sim.close();
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
