/**
 * The chaos runner's own stack, nothing shared with a developer's Tugboat or the test suite:
 * - a Temporal dev server on a free port with a database file, so it can be killed and started
 *   again on the same port and file and keep every workflow (restartServer);
 * - per seed (startSeedStack): an in-memory simulated cloud in this process, a PostgreSQL schema
 *   reached by the workers only through a TCP proxy the runner can cut, and two `tugboat worker`
 *   processes (the built CLI), each with a TUGBOAT_HOME of its own, that can be SIGKILLed and
 *   started again.
 * Everything is registered on a CleanupStack as soon as it runs, and stopped by its own PID.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { isolatedEnv } from '../../bench/lib/stack';
import { freePort, startDevServer, type DevServer } from '../../src/server/dev-server';
import { findTemporalCli } from '../../src/server/temporal-cli';
import { startSimCloud, SimCloudClient, type RunningSimCloud } from '../../src/simcloud';
import type { CleanupStack } from '../../src/system/cleanup';
import { startProcess, type ManagedProcess } from '../../src/system/process';
import { findTofu } from '../../src/tools/tofu';
import { startStoreProxy, type StoreProxy } from './store-proxy';

export const ROOT_DIR = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT_DIR, 'bin', 'tugboat.js');
/** The machine's PostgreSQL (trust auth, database `test`), as the test suite uses it. */
export const POSTGRES = { host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' };
export const POSTGRES_URL = process.env.TUGBOAT_TEST_POSTGRES?.trim() || `postgres://${POSTGRES.user}@${POSTGRES.host}:${POSTGRES.port}/${POSTGRES.database}`;
const WORKER_START_TIMEOUT_MS = 60_000;
const OUTPUT_TAIL_LINES = 200;

export interface ServerStack {
  address: string;
  client: Client;
  tofuPath: string;
  /** Kills the server (SIGKILL or SIGTERM) and starts it again on the same port and database file. */
  restartServer(opts: { hardKill: boolean }): Promise<void>;
  /** PIDs the server had, the current one last. */
  serverPid(): number;
}

export async function startServerStack(opts: { cleanup: CleanupStack; log: (msg: string) => void; dir: string }): Promise<ServerStack> {
  const { cleanup, log, dir } = opts;
  const binary = await findTemporalCli({ log });
  const tofuPath = await findTofu({ openTofuOnly: true, build: false, log });
  const dbFile = path.join(dir, 'temporal.db');
  const port = await freePort();
  const start = () => startDevServer({ binary, port, uiPort: false, dbFile, fixedPorts: true, log, startupTimeoutMs: 60_000 });
  let server: DevServer = await start();
  // The cleanup stops whichever server is current, not the first one.
  cleanup.push(() => server.stop());
  log(`dev server PID ${server.pid} at ${server.address} (database ${dbFile})`);
  const connection = await Connection.connect({ address: server.address });
  cleanup.push(() => connection.close());
  const client = new Client({ connection, namespace: 'default' });
  return {
    address: server.address,
    client,
    tofuPath,
    async restartServer({ hardKill }) {
      const old = server;
      if (hardKill) {
        process.kill(old.pid, 'SIGKILL');
        await old.exited;
      } else {
        await old.stop();
      }
      server = await start();
      log(`dev server restarted: PID ${old.pid} -> ${server.pid}`);
    },
    serverPid: () => server.pid,
  };
}

export interface WorkerSlot {
  index: number;
  home: string;
  process?: ManagedProcess;
  /** Output of every process this slot ran (for a violation's report). */
  output: string[];
  /** True while its current process runs. */
  alive: boolean;
  /** Exits the runner did not cause (a crash is a violation even when the deployment recovers). */
  crashes: string[];
  /** Set while the runner kills or stops the current process. */
  stopping?: boolean;
}

export interface SeedStack {
  taskQueue: string;
  cloud: SimCloudClient;
  simCloudUrl: string;
  schema: string;
  proxy: StoreProxy;
  workers: WorkerSlot[];
  startWorker(slot: WorkerSlot): Promise<void>;
  killWorker(slot: WorkerSlot): Promise<void>;
}

/** The seed's cloud, schema, proxy and two workers, all on the CleanupStack. */
export async function startSeedStack(opts: {
  server: ServerStack;
  cleanup: CleanupStack;
  dir: string;
  taskQueue: string;
  schema: string;
  log: (msg: string) => void;
}): Promise<SeedStack> {
  const { server, cleanup, dir, taskQueue, schema, log } = opts;
  const sim: RunningSimCloud = await startSimCloud({ port: 0 });
  cleanup.push(() => sim.close());
  const proxy = await startStoreProxy({ host: POSTGRES.host, port: POSTGRES.port });
  cleanup.push(() => proxy.close());
  const stateUrl = `postgres://${POSTGRES.user}@127.0.0.1:${proxy.port}/${POSTGRES.database}?schema=${schema}`;

  const workers: WorkerSlot[] = [0, 1].map((index) => ({ index, home: path.join(dir, `worker-${index}`), output: [], alive: false, crashes: [] }));
  const envOf = (slot: WorkerSlot) =>
    isolatedEnv({
      TUGBOAT_TOFU_PATH: server.tofuPath,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: 'default',
      TUGBOAT_TASK_QUEUE: taskQueue,
      TUGBOAT_SIMCLOUD_URL: sim.url,
      TUGBOAT_HOME: slot.home,
      TUGBOAT_STATE: stateUrl,
      TUGBOAT_LOG_LEVEL: 'WARN',
      TUGBOAT_WORKER_GRACE: '1s',
    });

  const startWorker = async (slot: WorkerSlot) => {
    fs.mkdirSync(slot.home, { recursive: true });
    let polling = false;
    const proc = startProcess([process.execPath, CLI, 'worker'], {
      env: envOf(slot),
      logFile: path.join(dir, `worker-${slot.index}.log`),
      onLine: (line) => {
        slot.output.push(line);
        if (slot.output.length > OUTPUT_TAIL_LINES) slot.output.shift();
        if (line.includes('worker polling')) polling = true;
      },
    });
    slot.process = proc;
    slot.alive = true;
    slot.stopping = false;
    void proc.exited.then((exit) => {
      if (slot.process !== proc) return;
      slot.alive = false;
      if (!slot.stopping) {
        slot.crashes.push(`worker ${slot.index} (PID ${proc.pid}) died on its own (${exit.signal ?? `exit ${exit.code}`}): ${slot.output.filter((l) => !/^\s+at /.test(l)).slice(-6).join(' / ')}`);
      }
    });
    cleanup.push(() => {
      slot.stopping = true;
      return proc.stop({ graceMs: 5_000 });
    });
    const deadline = Date.now() + WORKER_START_TIMEOUT_MS;
    while (!polling) {
      if (!slot.alive) throw new Error(`worker ${slot.index} (PID ${proc.pid}) exited at start:\n${slot.output.slice(-20).join('\n')}`);
      if (Date.now() > deadline) throw new Error(`worker ${slot.index} (PID ${proc.pid}) did not poll within ${WORKER_START_TIMEOUT_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    log(`worker ${slot.index} PID ${proc.pid} polling`);
  };
  const killWorker = async (slot: WorkerSlot) => {
    const proc = slot.process;
    if (!proc || !slot.alive) return;
    slot.stopping = true;
    proc.kill('SIGKILL');
    await proc.exited;
    slot.alive = false;
    log(`worker ${slot.index} PID ${proc.pid} killed (SIGKILL)`);
  };
  await Promise.all(workers.map(startWorker));
  return { taskQueue, cloud: new SimCloudClient(sim.url), simCloudUrl: sim.url, schema, proxy, workers, startWorker, killWorker };
}

export function makeRunDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
