/**
 * The bench's own stack: an in-memory Temporal dev server on a free port (no Web UI), an in-memory
 * simulated cloud in this process, and one `tugboat worker` in its own OS process (the built CLI),
 * so its memory can be read from /proc and nothing the runner does is charged to it.
 * Every piece is registered on the caller's CleanupStack as soon as it runs: the runner stops
 * each by its own handle (PID), also after a failure halfway or on Ctrl-C.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { connectLocalClient } from '../../src/client/connection';
import { freePort, startDevServer } from '../../src/server/dev-server';
import { findTemporalCli } from '../../src/server/temporal-cli';
import { findTofu } from '../../src/tools/tofu';
import { startSimCloud } from '../../src/simcloud';
import type { CleanupStack } from '../../src/system/cleanup';
import { startProcess, type ManagedProcess } from '../../src/system/process';
import { startRssSampler, type RunningRssSampler } from './rss';

export const ROOT_DIR = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT_DIR, 'bin', 'tugboat.js');

const WORKER_START_TIMEOUT_MS = 120_000;
const OUTPUT_TAIL_LINES = 50;

export interface BenchStack {
  address: string;
  namespace: string;
  client: Client;
  simCloudUrl: string;
  taskQueue: string;
  /** Removed at the end: the worker's TUGBOAT_HOME, manifests written for the CLI. */
  tmpDir: string;
  worker: { pid: number; process: ManagedProcess; rss: RunningRssSampler; outputTail: string[]; startMs: number };
  /** The environment a spawned Tugboat (worker, CLI) gets: this stack only, nothing of the caller's Temporal or Tugboat settings. */
  env: NodeJS.ProcessEnv;
}

/**
 * The caller's environment without settings that would point a spawned Tugboat elsewhere
 * (TEMPORAL_* profiles, TLS and API keys, TUGBOAT_* state stores and queues, tracing).
 */
export function isolatedEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(TEMPORAL_|TUGBOAT_|OTEL_)/.test(key) || key === 'CI') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

export async function startBenchStack(opts: { taskQueue: string; cleanup: CleanupStack; log: (msg: string) => void }): Promise<BenchStack> {
  const { cleanup, log, taskQueue } = opts;
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-bench-'));
  cleanup.push(() => fs.rmSync(tmpDir, { recursive: true, force: true }));

  const binary = await findTemporalCli({ log });
  const server = await startDevServer({ binary, port: await freePort(), uiPort: false, log });
  cleanup.push(() => server.stop());
  log(`dev server PID ${server.pid} at ${server.address}`);

  const sim = await startSimCloud({ port: 0 }); // in memory: the "world" costs no file writes
  cleanup.push(() => sim.close());

  const client = await connectLocalClient(server.address);
  cleanup.push(() => client.connection.close());

  // OpenTofu as the test suite finds it (never a `terraform` that happens to be on PATH, which the
  // worker's own lookup would take first), if it is built; scenario 7 says when it is not.
  const tofu = await findTofu({ openTofuOnly: true, build: false }).catch(() => undefined);
  const env = isolatedEnv({
    ...(tofu ? { TUGBOAT_TOFU_PATH: tofu } : {}),
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: 'default',
    TUGBOAT_TASK_QUEUE: taskQueue,
    TUGBOAT_SIMCLOUD_URL: sim.url,
    TUGBOAT_HOME: path.join(tmpDir, 'home'),
    TUGBOAT_LOG_LEVEL: 'WARN',
    TUGBOAT_WORKER_GRACE: '1s',
  });

  const outputTail: string[] = [];
  const startMs = Date.now();
  let polling = false;
  let announce: () => void = () => undefined;
  const pollingSeen = new Promise<void>((resolve) => (announce = resolve));
  const proc = startProcess([process.execPath, CLI, 'worker'], {
    env,
    onLine: (line) => {
      outputTail.push(line);
      if (outputTail.length > OUTPUT_TAIL_LINES) outputTail.shift();
      if (!polling && line.includes('worker polling')) {
        polling = true;
        announce();
      }
    },
  });
  cleanup.push(() => proc.stop({ graceMs: 10_000 }));
  const rss = startRssSampler(proc.pid);
  cleanup.push(() => rss.stop());

  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    pollingSeen.then(() => 'polling' as const),
    proc.exited.then(() => 'exited' as const),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), WORKER_START_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  if (outcome !== 'polling') {
    throw new Error(
      `the worker process (PID ${proc.pid}) ${outcome === 'exited' ? 'exited' : `did not poll within ${WORKER_START_TIMEOUT_MS / 1000} s`}:\n${outputTail.join('\n')}`,
    );
  }
  log(`worker PID ${proc.pid} polling after ${Date.now() - startMs} ms`);
  return {
    address: server.address,
    namespace: 'default',
    client,
    simCloudUrl: sim.url,
    taskQueue,
    tmpDir,
    worker: { pid: proc.pid, process: proc, rss, outputTail, startMs },
    env,
  };
}
