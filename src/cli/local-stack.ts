/**
 * The embedded default for `tugboat up`: a local Temporal dev server, the simulated cloud and a
 * worker, each reused when one already runs, and stopped at the end only if we started it.
 */
import path from 'node:path';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { connectClient } from '../client/connection';
import { runDevServer } from '../server/dev-server';
import { SimCloudClient, startSimCloud } from '../simcloud';
import { tugboatHome } from '../system/paths';
import { createTugboatWorker } from '../worker';
import { installWorkerLogging } from '../worker/logging';
import { DEFAULT_SIMCLOUD_PORT } from '../worker/config';
import type { Client } from '@temporalio/client';

export interface LocalStack {
  client: Client;
  address: string;
  uiUrl?: string;
  taskQueue: string;
  simCloudUrl: string;
  stop(): Promise<void>;
}

export async function startLocalStack(opts: { print: (line: string) => void; taskQueue: string }): Promise<LocalStack> {
  const home = tugboatHome();
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    const server = await runDevServer({ home, log: opts.print });
    stops.push(() => server.stop());
    const uiUrl = server.uiUrl ?? (server.reused ? 'http://localhost:8233' : undefined);
    opts.print(`Temporal ${server.reused ? 'server (already running)' : 'dev server'} on ${server.address}${uiUrl ? `, Web UI ${uiUrl}` : ''}`);

    const simCloudUrl = `http://127.0.0.1:${DEFAULT_SIMCLOUD_PORT}`;
    if (await new SimCloudClient(simCloudUrl).ping()) {
      opts.print(`simulated cloud (already running) on ${simCloudUrl}`);
    } else {
      const sim = await startSimCloud({ port: DEFAULT_SIMCLOUD_PORT, stateFile: path.join(home, 'simcloud.json') });
      stops.push(() => sim.close());
      opts.print(`simulated cloud on ${sim.url}`);
    }

    // Retries are part of the show (printed as RETRYING); keep the worker's own log to errors.
    installWorkerLogging('ERROR', process.env, false);
    const connection = await NativeConnection.connect({ address: server.address });
    stops.push(() => connection.close());
    const worker: Worker = await createTugboatWorker({ connection, taskQueue: opts.taskQueue, simCloudUrl, stateDir: path.join(home, 'state') });
    const running = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await running;
    });
    opts.print(`worker polling task queue "${opts.taskQueue}"`);

    const client = await connectClient({ address: server.address });
    stops.push(() => client.connection.close());
    return { client, address: server.address, uiUrl, taskQueue: opts.taskQueue, simCloudUrl, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
