/**
 * Runs and probes a local Temporal dev server (`temporal server start-dev`): for `tugboat dev-server`,
 * `tugboat up`, and the test suite's shared server.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { TUGBOAT_SEARCH_ATTRIBUTES } from '../api/search-attributes';
import { CLI_TYPE_NAMES } from '../client/search-attributes-errors';
import { ensureSearchAttributes } from '../client/search-attributes-setup';
import { startProcess, type ProcessExit } from '../system/process';
import { findTemporalCli } from './temporal-cli';

const PROBE_TIMEOUT_MS = 2_000;
const POLL_INTERVAL_MS = 200;
const STOP_GRACE_MS = 10_000;
/** Free ports can be taken between asking for them and the server binding them. */
const MAX_PORT_CLASH_RETRIES = 3;
const OUTPUT_TAIL_LINES = 30;

export interface DevServer {
  address: string;
  uiUrl?: string;
  pid: number;
  /** Resolves when the server process is gone, whoever ended it. */
  exited: Promise<ProcessExit>;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
  stop(): Promise<void>;
}

export interface StartDevServerOptions {
  binary: string;
  host?: string;
  port: number;
  /** false = no Web UI; omitted = the CLI's default, port + 1000. */
  uiPort?: number | false;
  /** Omitted = in-memory: everything is lost when the server stops. */
  dbFile?: string;
  namespace?: string;
  logFile?: string;
  log?: (msg: string) => void;
  startupTimeoutMs?: number;
  /** Fail on a port clash instead of retrying on new free ports (when the caller promised a port). */
  fixedPorts?: boolean;
  /**
   * false = a namespace without Tugboat's search attributes, like a cluster Tugboat did not start
   * (for testing `tugboat setup`). Default true: registered at start.
   */
  searchAttributes?: boolean;
  /** The Web UI asks this codec server to decode payloads (`tugboat codec-server`). */
  uiCodecEndpoint?: string;
}

class PortClashError extends Error {}

/** True if a Temporal server answers on `address` and knows `namespace`. Never throws. */
export async function isServerUp(address: string, namespace = 'default'): Promise<boolean> {
  // gRPC keeps retrying a refused connection until its deadline; a plain TCP connect fails at once.
  if (!(await acceptsTcp(address))) return false;
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: PROBE_TIMEOUT_MS });
    const service = connection.workflowService;
    await connection.withDeadline(Date.now() + PROBE_TIMEOUT_MS, () => service.describeNamespace({ namespace }));
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

export async function waitForServer(address: string, opts: { timeoutMs: number; namespace?: string }): Promise<void> {
  const up = await pollUntilUp(address, opts.namespace ?? 'default', Date.now() + opts.timeoutMs, () => false);
  if (!up) throw new Error(`No Temporal server answered at ${address} within ${opts.timeoutMs} ms.`);
}

/** An OS-assigned TCP port that was free a moment ago. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Start `temporal server start-dev` and wait until it answers. */
export async function startDevServer(opts: StartDevServerOptions): Promise<DevServer> {
  const host = opts.host ?? '127.0.0.1';
  let ports = { port: opts.port, uiPort: opts.uiPort };
  for (let retry = 0; ; retry++) {
    try {
      return await startDevServerOnce({ ...opts, ...ports, host });
    } catch (err) {
      if (!(err instanceof PortClashError) || opts.fixedPorts || retry >= MAX_PORT_CLASH_RETRIES) throw err;
      opts.log?.(`${err.message} Retrying on new free ports.`);
      ports = { port: await freePort(host), uiPort: typeof ports.uiPort === 'number' ? await freePort(host) : ports.uiPort };
    }
  }
}

/**
 * Server settings the embedded server runs with. Eager activity dispatch: when a workflow task
 * schedules an activity on a queue its own worker polls, the server hands the activity back in the
 * task's response instead of queueing it for a poll; each service's apply and verify start without
 * a matching round trip (Temporal Cloud has it on; a self-hosted cluster sets the same key).
 */
export const DYNAMIC_CONFIG = ['system.enableActivityEagerExecution=true'];

async function startDevServerOnce(opts: StartDevServerOptions & { host: string }): Promise<DevServer> {
  const { host, port, uiPort } = opts;
  const namespace = opts.namespace ?? 'default';
  const address = `${host}:${port}`;
  const timeoutMs = opts.startupTimeoutMs ?? 60_000;
  const started = Date.now();
  const uiArgs = uiPort === false ? ['--headless'] : uiPort === undefined ? [] : ['--ui-port', String(uiPort)];
  const withSearchAttributes = opts.searchAttributes ?? true;
  const searchAttributeArgs = withSearchAttributes
    ? TUGBOAT_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${CLI_TYPE_NAMES[key.type]}`])
    : [];
  const argv = [
    opts.binary, 'server', 'start-dev', '--ip', host, '--port', String(port), ...uiArgs,
    ...(opts.dbFile ? ['--db-filename', opts.dbFile] : []),
    ...(opts.uiCodecEndpoint ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : []),
    '--namespace', namespace, '--log-level', 'warn', ...searchAttributeArgs,
    ...DYNAMIC_CONFIG.flatMap((value) => ['--dynamic-config-value', value]),
  ];

  const tail: string[] = [];
  const server = startProcess(argv, {
    logFile: opts.logFile,
    onLine: (line) => {
      tail.push(line);
      if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
    },
  });
  let exited = false;
  void server.exited.then(() => (exited = true));

  try {
    const up = await pollUntilUp(address, namespace, started + timeoutMs, () => exited);
    if (!up) {
      if (!exited) throw new Error(`The Temporal dev server did not answer at ${address} within ${timeoutMs} ms.\n${tail.join('\n')}`);
      const { code, signal } = await server.exited;
      const output = tail.join('\n');
      if (/address already in use/i.test(output)) {
        const ports = typeof uiPort === 'number' ? `${address} / UI ${uiPort}` : address;
        throw new PortClashError(`The Temporal dev server could not bind its ports (${ports}): ${lastLine(output)}`);
      }
      throw new Error(`The Temporal dev server exited (${code ?? signal}) before answering at ${address}:\n${output}`);
    }
    // A database made by an older Tugboat lacks newer attributes: start-dev only registers them on new namespaces.
    if (withSearchAttributes) await registerSearchAttributes(address, namespace, opts.log);
  } catch (err) {
    await server.stop({ graceMs: STOP_GRACE_MS });
    throw err;
  }

  const uiUrl = uiPort === false ? undefined : `http://${host}:${uiPort ?? port + 1000}`;
  opts.log?.(`Temporal dev server (PID ${server.pid}) answering at ${address} after ${Date.now() - started} ms.`);
  return { address, uiUrl, pid: server.pid, exited: server.exited, stop: () => server.stop({ graceMs: STOP_GRACE_MS }) };
}

/** Registers any of Tugboat's search attributes the namespace lacks (a local server: no TLS, no API key). */
async function registerSearchAttributes(address: string, namespace: string, log?: (msg: string) => void): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const { added } = await ensureSearchAttributes(connection, namespace);
    if (added.length > 0) log?.(`Registered search attributes ${added.join(', ')} in namespace ${namespace} at ${address}.`);
  } finally {
    await connection.close();
  }
}

export interface RunDevServerOptions {
  /** Tugboat's state dir; the server's database and log live here. */
  home: string;
  port?: number;
  uiPort?: number;
  namespace?: string;
  env?: NodeJS.ProcessEnv;
  log: (msg: string) => void;
}

export interface RunningDevServer {
  /** True if a server was already answering: then stop() leaves it alone. */
  reused: boolean;
  address: string;
  uiUrl?: string;
  /** Only for a server we started. */
  pid?: number;
  exited?: Promise<ProcessExit>;
  stop(): Promise<void>;
}

/** Reuse a server already answering on the port, else start a persistent one (for `tugboat dev-server` / `up`). */
export async function runDevServer(opts: RunDevServerOptions): Promise<RunningDevServer> {
  const port = opts.port ?? 7233;
  const uiPort = opts.uiPort ?? 8233;
  const namespace = opts.namespace ?? 'default';
  const address = `127.0.0.1:${port}`;
  if (await isServerUp(address, namespace)) {
    opts.log(`Using the Temporal server already running at ${address}.`);
    await registerSearchAttributes(address, namespace, opts.log);
    // Not ours, so stopping it is not ours to do either. Its UI is assumed where a dev server
    // started with these ports would serve it (TEMPORAL_UI_URL overrides links elsewhere).
    return { reused: true, address, uiUrl: `http://127.0.0.1:${uiPort}`, stop: async () => undefined };
  }
  await fs.mkdir(opts.home, { recursive: true });
  const binary = await findTemporalCli({ env: opts.env, log: opts.log });
  const server = await startDevServer({
    binary,
    port,
    uiPort,
    namespace,
    dbFile: path.join(opts.home, 'temporal.db'),
    logFile: path.join(opts.home, 'temporal-server.log'),
    log: opts.log,
    fixedPorts: true, // users and workers expect the port they asked for
  });
  return { reused: false, ...server };
}

/** Whether something accepts a TCP connection at `host:port` now (a refused connect fails at once, unlike gRPC). */
export function acceptsTcp(address: string): Promise<boolean> {
  const separator = address.lastIndexOf(':');
  const host = address.slice(0, separator).replace(/^\[(.*)\]$/, '$1'); // [::1]:7233 → ::1
  const port = Number(address.slice(separator + 1));
  if (separator < 0 || !Number.isInteger(port)) return Promise.resolve(true); // let gRPC judge it
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: PROBE_TIMEOUT_MS });
    const done = (accepted: boolean) => {
      socket.destroy();
      resolve(accepted);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

async function pollUntilUp(address: string, namespace: string, deadline: number, giveUp: () => boolean): Promise<boolean> {
  while (!giveUp() && Date.now() < deadline) {
    if (await isServerUp(address, namespace)) return true;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  return false;
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}
