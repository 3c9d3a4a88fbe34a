/**
 * The embedded default for `tugboat up`: a local Temporal dev server, the simulated cloud and a
 * worker, each reused when one already runs, and stopped at the end only if we started it.
 */
import { NativeConnection } from '@temporalio/worker';
import { connectLocalClient } from '../client/connection';
import { runDevServer } from '../server/dev-server';
import { SimCloudClient, startSimCloud } from '../simcloud';
import { CleanupStack } from '../system/cleanup';
import { simCloudStateFile, stateDir, tugboatHome } from '../system/paths';
import { createTugboatWorker, type PolledQueue } from '../worker';
import { openStateStore } from '../state';
import { installWorkerLogging } from '../worker/logging';
import { DEFAULT_SIMCLOUD_PORT, DEFAULT_SIMCLOUD_URL } from '../worker/config';
import type { Client } from '@temporalio/client';

export interface LocalStack {
  client: Client;
  address: string;
  uiUrl?: string;
  taskQueue: string;
  /** What the embedded worker polls: the main queue and the default specialties. */
  queues: PolledQueue[];
  simCloudUrl: string;
  /** Resolves if the embedded worker stops on its own (a fatal error): stop watching then. */
  workerStopped: Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalStack(opts: { print: (line: string) => void; taskQueue: string }): Promise<LocalStack> {
  const home = tugboatHome();
  const stops = new CleanupStack();
  const stopAll = async () => {
    // Each failure was already reported where it happened; stopping goes on regardless.
    await stops.run();
  };
  try {
    const server = await runDevServer({ home, log: opts.print });
    stops.push(() => server.stop());
    const { uiUrl } = server;
    opts.print(`Temporal ${server.reused ? 'server (already running)' : 'dev server'} on ${server.address}${uiUrl ? `, Web UI ${uiUrl}` : ''}`);

    const simCloudUrl = DEFAULT_SIMCLOUD_URL;
    if (await new SimCloudClient(simCloudUrl).ping()) {
      opts.print(`simulated cloud (already running) on ${simCloudUrl}`);
    } else {
      const sim = await startSimCloud({ port: DEFAULT_SIMCLOUD_PORT, stateFile: simCloudStateFile() });
      stops.push(() => sim.close());
      opts.print(`simulated cloud on ${sim.url}`);
    }

    // Retries are part of the show (printed as RETRYING); keep the worker's own log to errors.
    installWorkerLogging('ERROR', process.env, false);
    const { store, postgres } = await openStateStore(process.env);
    stops.push(() => store.close());
    const connection = await NativeConnection.connect({ address: server.address });
    stops.push(() => connection.close());
    const worker = await createTugboatWorker({ connection, taskQueue: opts.taskQueue, simCloudUrl, stateDir: stateDir(), store, postgres });
    // Watched from the start: a worker that dies mid-deployment must end `up` cleanly (and stop
    // what it started), not crash the process on an unhandled rejection.
    let workerError: unknown;
    const running = worker.run().catch((err: unknown) => {
      workerError = err;
      opts.print(`the embedded worker stopped: ${(err as Error).message}`);
    });
    stops.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      if (workerError) throw workerError;
    });
    opts.print(`worker polling task queue "${opts.taskQueue}" and its specialty queues ${worker.queues.filter((q) => !q.workflows).map((q) => `"${q.taskQueue}"`).join(', ')}`);

    const client = await connectLocalClient(server.address);
    stops.push(() => client.connection.close());
    const workerStopped = running.then(() => undefined);
    return { client, address: server.address, uiUrl, taskQueue: opts.taskQueue, queues: worker.queues, simCloudUrl, workerStopped, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
