/**
 * A test's own little world: a simulated cloud on a random port with its own state file, an
 * in-process worker on a task queue no other test uses (and its specialty queues, as a plain
 * `tugboat worker` polls them), and a client — all against the suite's real Temporal dev server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { progressQuery } from '../../src/api/messages';
import type { DeploymentProgress } from '../../src/api/progress';
import { startDeployment, type StartedDeployment } from '../../src/client/deployments';
import { validateManifestOrThrow } from '../../src/manifest/validate';
import type { Manifest, ManifestInput, ServiceInput } from '../../src/manifest/schema';
import { SimCloudClient, startSimCloud, type CallRecord, type HoldOp } from '../../src/simcloud';
import { createTugboatWorker, type WorkerGroup } from '../../src/worker';
import type { QueueSelection } from '../../src/worker/queues';
import { installWorkerLogging } from '../../src/worker/logging';
import { connectClient, testEnv, uniqueName, workflowBundle } from './temporal-env';
import { waitFor } from './wait';

// Expected failures (retries, failed deployments) would flood the output at WARN.
installWorkerLogging('ERROR');

export interface World {
  name: string;
  client: Client;
  cloud: SimCloudClient;
  simCloudUrl: string;
  taskQueue: string;
  stateDir: string;
  /** Start (or restart after stopWorker) the in-process worker. */
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  /**
   * A validated manifest named after the world. Services run on the simulated cloud unless they
   * name another executor: a test world is the simulated cloud, whatever the services' types.
   */
  manifest(services: ServiceInput[], deployment?: Partial<ManifestInput['deployment']>): Manifest;
  deploy(manifest: Manifest): Promise<StartedDeployment>;
  /**
   * Runs `start` with `service`'s `op` held in the cloud and returns once the cloud holds it, so
   * the deployment is provably in the middle of that step. Release with `cloud.release`.
   */
  startHeld<T>(service: string, op: HoldOp, start: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** false: no in-process worker (the test spawns worker processes). */
  worker?: boolean;
  /** Where the worker's state store lives (default: <stateDir>/state). */
  storeDir?: string;
  /** The specialties the in-process worker polls (default: main and every default specialty). */
  queues?: QueueSelection[];
}

export async function createWorld(prefix: string, opts: WorldOptions = {}): Promise<World> {
  const name = uniqueName(prefix);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `tugboat-${prefix}-`));
  const sim = await startSimCloud({ port: 0, stateFile: path.join(stateDir, 'simcloud.json') });
  const { client, close: closeClient } = await connectClient();
  const connection = await NativeConnection.connect({ address: testEnv().address });
  let worker: { instance: WorkerGroup; running: Promise<void> } | undefined;

  const world: World = {
    name,
    client,
    cloud: new SimCloudClient(sim.url),
    simCloudUrl: sim.url,
    taskQueue: name,
    stateDir,
    async startWorker() {
      const instance = await createTugboatWorker({
        connection,
        namespace: testEnv().namespace,
        taskQueue: name,
        simCloudUrl: sim.url,
        stateDir: opts.storeDir ?? path.join(stateDir, 'state'),
        workflowBundle: workflowBundle(),
        ...(opts.queues ? { queues: opts.queues } : {}),
      });
      worker = { instance, running: instance.run() };
    },
    async stopWorker() {
      if (!worker) return;
      worker.instance.shutdown();
      await worker.running;
      worker = undefined;
    },
    manifest(services, deployment = {}) {
      return validateManifestOrThrow({
        deployment: { name, environment: 'test', services: services.map(simulatedUnlessNamed), ...deployment },
      });
    },
    deploy(manifest) {
      return startDeployment(client, manifest, { taskQueue: name });
    },
    async startHeld(service, op, start) {
      await world.cloud.hold(service, op);
      const started = await start();
      await world.cloud.waitUntilHeld(service, op);
      return started;
    },
    async close() {
      await world.stopWorker();
      await connection.close();
      await closeClient();
      await sim.close();
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
  if (opts.worker !== false) {
    try {
      await world.startWorker();
    } catch (err) {
      await world.close();
      throw err;
    }
  }
  return world;
}

/** The service with `executor: simulated` when it names no executor (its type would pick a real one). */
function simulatedUnlessNamed(service: ServiceInput): ServiceInput {
  return service.executor === undefined ? { ...service, executor: 'simulated' } : service;
}

/**
 * The world of a describe block: created in beforeAll, closed in afterAll. The returned object is
 * filled in when beforeAll runs, so tests use it as if it had been created inline.
 */
export function useWorld(prefix: string, opts: WorldOptions = {}): World {
  const world = {} as World;
  beforeAll(async () => {
    Object.assign(world, await createWorld(prefix, opts));
  });
  afterAll(() => world.close?.());
  return world;
}

export async function progressOf(handle: WorkflowHandle): Promise<DeploymentProgress> {
  return handle.query(progressQuery);
}

/** Poll the progress query until `predicate` holds. */
export async function waitForProgress(
  handle: WorkflowHandle,
  predicate: (p: DeploymentProgress) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<DeploymentProgress> {
  return waitFor(
    async () => {
      try {
        const p = await progressOf(handle);
        return predicate(p) ? p : undefined;
      } catch {
        return undefined; // not started yet
      }
    },
    { timeoutMs, what },
  );
}

/** The sim cloud's apply/verify calls for a service, completed ones only. */
export function callsOf(calls: CallRecord[], service: string, op: CallRecord['op']): CallRecord[] {
  return calls.filter((c) => c.service === service && c.op === op);
}

/** The largest number of services whose [first apply arrival, last verify completion] overlap. */
export function maxConcurrentServices(calls: CallRecord[]): number {
  const spans = new Map<string, { from: number; to: number }>();
  for (const c of calls) {
    if (c.op !== 'apply' && c.op !== 'verify') continue;
    const span = spans.get(c.service) ?? { from: Infinity, to: -Infinity };
    span.from = Math.min(span.from, c.seq);
    span.to = Math.max(span.to, c.completedSeq ?? Infinity);
    spans.set(c.service, span);
  }
  const edges = [...spans.values()].flatMap((s) => [
    { at: s.from, delta: 1 },
    { at: s.to, delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let current = 0;
  let max = 0;
  for (const e of edges) {
    current += e.delta;
    max = Math.max(max, current);
  }
  return max;
}
