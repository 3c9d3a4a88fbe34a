/**
 * What the ingress tests share: the machine's real Redis (127.0.0.1:6379, or TUGBOAT_TEST_REDIS_URL),
 * a subscriber that records every result on the channel, and keys of the test's own. Each test
 * world takes tasks from its own pending list (`<world name>:pending`, so two test files never
 * take each other's tasks) and uses task IDs that start with its world's name, so its result keys
 * and channel messages are its own; everything it wrote is deleted afterwards.
 */
import net from 'node:net';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { createClient } from 'redis';
import { startIngress, type IngressEvent, type IngressOptions, type RunningIngress } from '../../src/ingress';
import type { IngressResult } from '../../src/api/ingress';
import { ingressKeys, resultKey, type IngressKeys } from '../../src/ingress/keys';
import { startProcess, type ManagedProcess } from '../../src/system/process';
import { testEnv } from '../support/temporal-env';
import { waitFor } from '../support/wait';

const CLI = path.resolve(__dirname, '..', '..', 'bin', 'tugboat.js');

export const REDIS_URL = process.env.TUGBOAT_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

function connect() {
  return createClient({ url: REDIS_URL, name: 'tugboat-ingress-test' });
}

export interface TestRedis {
  redis: ReturnType<typeof connect>;
  keys: IngressKeys;
  /** Every result published on the channel while the block ran, in arrival order. */
  messages: IngressResult[];
  push(...raw: string[]): Promise<void>;
  /** The result stored for a task, once there. */
  waitForResult(id: string, timeoutMs?: number): Promise<IngressResult>;
  list(key: string): Promise<string[]>;
}

/** Redis for a describe block taking tasks from `pending()` (known once its world exists). */
export function useRedis(pending: () => string): TestRedis {
  const redis = connect();
  const subscriber = redis.duplicate();
  const ids = new Set<string>();
  const t: TestRedis = {
    redis,
    keys: undefined as unknown as IngressKeys,
    messages: [],
    async push(...raw) {
      await redis.lPush(t.keys.pending, raw);
    },
    async waitForResult(id, timeoutMs = 60_000) {
      ids.add(id);
      const json = await waitFor(() => redis.get(resultKey(t.keys, id)).then((v) => v ?? undefined), { timeoutMs, what: `the result of task ${id}` });
      return JSON.parse(json) as IngressResult;
    },
    list: (key) => redis.lRange(key, 0, -1),
  };
  beforeAll(async () => {
    t.keys = ingressKeys(pending());
    await redis.connect();
    await subscriber.connect();
    // Other test files publish on the same channel: messagesFor() picks a task's own.
    await subscriber.subscribe(t.keys.channel, (message) => t.messages.push(JSON.parse(message) as IngressResult));
  });
  afterAll(async () => {
    if (!redis.isOpen) return;
    await redis.del([t.keys.pending, t.keys.processing, ...[...ids].map((id) => resultKey(t.keys, id))]);
    await subscriber.close();
    await redis.close();
  });
  return t;
}

/** A task as a producer writes it: the manifest inline (an object), services simulated. */
export function task(id: string, deployment: { name: string; environment: string; services: unknown[] }, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ id, manifest: { deployment }, requested_by: 'ingress-test', ...extra });
}

/** Results on the channel for one task. */
export function messagesFor(t: TestRedis, id: string): IngressResult[] {
  return t.messages.filter((m) => m.id === id);
}

export interface IngressProcess {
  process: ManagedProcess;
  output: string[];
}

/** `tugboat ingress` as its own OS process (the built CLI), so a test can SIGKILL it. Stop it by its PID (process.stop). */
export async function spawnIngress(opts: { taskQueue: string; queueKey: string; env?: NodeJS.ProcessEnv }): Promise<IngressProcess> {
  const env = testEnv();
  const output: string[] = [];
  const proc = startProcess([process.execPath, CLI, 'ingress', '--redis', REDIS_URL, '--task-queue', opts.taskQueue, '--queue-key', opts.queueKey], {
    env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace, TUGBOAT_LOG_LEVEL: 'WARN', ...opts.env },
    onLine: (line) => output.push(line),
  });
  let exited = false;
  void proc.exited.then(() => (exited = true));
  await waitFor(() => exited || output.some((l) => l.startsWith('ingress taking tasks')), { timeoutMs: 60_000, what: 'the ingress process to start taking tasks' });
  if (exited) throw new Error(`ingress process exited at start:\n${output.join('\n')}`);
  return { process: proc, output };
}

/** The same Redis server, the next database (`/0` → `/1`): a second ingress target without a second server. */
export function otherDatabaseUrl(url: string = REDIS_URL): string {
  const parsed = new URL(url);
  const db = Number(parsed.pathname.replace(/^\//, '') || '0');
  parsed.pathname = `/${(db + 1) % 16}`;
  return parsed.toString();
}

export interface RedisProxy {
  /** redis://127.0.0.1:<port>: the real Redis, through this proxy. */
  url: string;
  /** From now on every byte either way is dropped, connections left open: a network that silently loses packets. */
  blackhole(): void;
  /** Bytes flow again (for connections opened from now on: older ones lost data). */
  heal(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of the real Redis, so a test can make Redis stop answering without stopping
 * it (the machine's Redis serves every test) and without mocking it.
 */
export async function startRedisProxy(target: string = REDIS_URL): Promise<RedisProxy> {
  const upstream = new URL(target);
  const sockets = new Set<net.Socket>();
  let dropping = false;
  const server = net.createServer((client) => {
    if (dropping) {
      // Accepted and never answered, like its older siblings.
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      client.on('error', () => undefined);
      return;
    }
    const redis = net.connect(Number(upstream.port || '6379'), upstream.hostname);
    let lost = false;
    const forward = (to: net.Socket) => (data: Buffer) => {
      if (dropping) lost = true;
      if (!lost) to.write(data);
    };
    client.on('data', forward(redis));
    redis.on('data', forward(client));
    for (const socket of [client, redis]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        redis.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    blackhole: () => (dropping = true),
    heal: () => (dropping = false),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The ingress in the test's own process, taking `keys.pending` for the world's task queue, its
 * events collected in `events` and its log silent; `overrides` for what a test varies.
 */
export function startTestIngress(
  world: { taskQueue: string; client: Client },
  connection: NativeConnection,
  events: IngressEvent[],
  overrides: Partial<IngressOptions> & Pick<IngressOptions, 'keys'>,
): Promise<RunningIngress> {
  return startIngress({
    redisUrl: REDIS_URL,
    taskQueue: world.taskQueue,
    client: world.client,
    connection,
    namespace: testEnv().namespace,
    log: () => undefined,
    onEvent: (event) => events.push(event),
    ...overrides,
  });
}
