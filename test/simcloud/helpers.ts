/** Shared setup for sim-cloud tests: a server on a random port with its own temp state file. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimCloudClient, startSimCloud, type ApplyRequest, type RunningSimCloud } from '../../src/simcloud';

export interface TestCloud {
  server: RunningSimCloud;
  client: SimCloudClient;
  stateFile: string;
  dir: string;
  /** Closes the server and starts a new one on the same state file (a new port). */
  restart(): Promise<void>;
  /** Closes the server and removes the temp directory. */
  dispose(): Promise<void>;
}

export interface TestCloudOptions {
  /** The cloud's clock (epoch ms): a test that moves time itself instead of sleeping. */
  now?: () => number;
}

export async function startTestCloud(opts: TestCloudOptions = {}): Promise<TestCloud> {
  const dir = await mkdtemp(join(tmpdir(), 'simcloud-test-'));
  const stateFile = join(dir, 'state.json');
  const start = async () => {
    const server = await startSimCloud({ port: 0, stateFile, now: opts.now });
    return { server, client: new SimCloudClient(server.url) };
  };
  const cloud: TestCloud = {
    ...(await start()),
    stateFile,
    dir,
    async restart() {
      await cloud.server.close();
      Object.assign(cloud, await start());
    },
    async dispose() {
      await cloud.server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return cloud;
}

/**
 * One cloud per test file, reset before each test; call it at the top of the file.
 * It returns a getter rather than the cloud because the cloud only exists once `beforeAll` has run.
 */
export function useTestCloud(opts: TestCloudOptions = {}): () => TestCloud {
  let cloud: TestCloud | undefined;
  const get = (): TestCloud => {
    if (!cloud) throw new Error('the test cloud is not started: use it inside a test or hook, not at file load');
    return cloud;
  };
  beforeAll(async () => {
    cloud = await startTestCloud(opts);
  });
  afterAll(async () => {
    await cloud?.dispose();
  });
  beforeEach(async () => {
    await get().client.reset();
  });
  return get;
}

/** Polls `check` until it returns a truthy value or the deadline passes (then throws `what`). */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

let keyCounter = 0;
/** A fresh idempotency key. */
export const newKey = (label = 'k') => `${label}-${++keyCounter}-${process.pid}`;

/** An apply request with a fresh idempotency key; `overrides` replace any field. */
export const applyRequest = (service: string, overrides: Partial<ApplyRequest> = {}): ApplyRequest => ({
  service,
  deploymentId: 'dep-1',
  type: 'kubernetes',
  version: 'v1',
  idempotencyKey: newKey(service),
  ...overrides,
});
