/**
 * Against the real `temporal` binary: finding it, and starting, probing, reusing and stopping dev servers.
 * Each test starts its own servers on free ports (the suite's shared server is not involved).
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TUGBOAT_SEARCH_ATTRIBUTES } from '../../src/api/search-attributes';
import { freePort, isServerUp, runDevServer, startDevServer, waitForServer } from '../../src/server/dev-server';
import { findTemporalCli, TEMPORAL_CLI_VERSION, TemporalCliNotFoundError } from '../../src/server/temporal-cli';
import { temporalCacheDir } from '../../src/system/paths';
import { startProcess } from '../../src/system/process';
import { uniqueName } from '../support/temporal-env';

const TUGBOAT_ATTRIBUTE_NAMES = TUGBOAT_SEARCH_ATTRIBUTES.map((key) => key.name);
let binary: string;
let tmp: string;

beforeAll(async () => {
  binary = await findTemporalCli({ build: false });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tugboat-dev-server-test-'));
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

function pidIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function searchAttributeNames(address: string): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    return Object.keys(customAttributes ?? {});
  } finally {
    await connection.close();
  }
}

async function withClient<T>(address: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await fn(new Client({ connection }));
  } finally {
    await connection.close();
  }
}

/** A stand-in `go` that "builds" a script, so the build path is tested in milliseconds. */
async function fakeGo(dir: string, body: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'go'), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
}
const FAKE_GO_BUILDS = `echo "$*" >> "$GOBIN/../go-calls"; printf '#!/bin/sh\\necho fake\\n' > "$GOBIN/temporal"; /bin/chmod +x "$GOBIN/temporal"`;

describe('findTemporalCli', () => {
  it('uses TEMPORAL_CLI_PATH first', async () => {
    await expect(findTemporalCli({ env: { TEMPORAL_CLI_PATH: binary, PATH: '' } })).resolves.toBe(binary);
  });

  it('rejects a TEMPORAL_CLI_PATH that is not an executable, naming the variable and the path', async () => {
    const missing = path.join(tmp, 'no-such-temporal');
    await expect(findTemporalCli({ env: { TEMPORAL_CLI_PATH: missing } })).rejects.toThrow(`TEMPORAL_CLI_PATH is set to ${missing}`);
  });

  it('finds `temporal` on PATH', async () => {
    const binDir = path.join(tmp, 'path-bin');
    await fs.mkdir(binDir);
    await fs.symlink(binary, path.join(binDir, 'temporal'));
    const env = { PATH: ['', '/nonexistent', binDir].join(path.delimiter), XDG_CACHE_HOME: path.join(tmp, 'no-cache') };
    await expect(findTemporalCli({ env })).resolves.toBe(path.join(binDir, 'temporal'));
  });

  it('names every way to get the CLI when there is none and no Go', async () => {
    const env = { PATH: '', XDG_CACHE_HOME: path.join(tmp, 'empty-cache') };
    const error = await findTemporalCli({ env }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TemporalCliNotFoundError);
    for (const hint of ['TEMPORAL_CLI_PATH', 'https://docs.temporal.io/cli', 'brew install temporal', 'install Go',
      'docker compose -f docker-compose.temporal.yml up -d', 'TEMPORAL_ADDRESS']) {
      expect((error as Error).message).toContain(hint);
    }
  });

  it('builds with Go once into the versioned cache, even when asked twice at once', async () => {
    const goDir = path.join(tmp, 'fake-go');
    await fakeGo(goDir, FAKE_GO_BUILDS);
    const env = { PATH: goDir, XDG_CACHE_HOME: path.join(tmp, 'build-cache') };
    const cacheDir = temporalCacheDir(env);
    const logs: string[] = [];
    const found = await Promise.all([1, 2].map(() => findTemporalCli({ env, log: (msg) => logs.push(msg) })));

    expect(found).toEqual([path.join(cacheDir, 'temporal'), path.join(cacheDir, 'temporal')]);
    expect(cacheDir).toContain(`temporal-${TEMPORAL_CLI_VERSION}`);
    expect((await fs.readFile(path.join(cacheDir, 'go-calls'), 'utf8')).trim().split('\n')).toEqual([
      `install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`,
    ]);
    expect(logs.join('\n')).toContain(`Building the Temporal CLI v${TEMPORAL_CLI_VERSION} from source with Go`);
    expect(await fs.readdir(cacheDir)).toEqual(expect.not.arrayContaining([expect.stringMatching(/^\.build/)]));
    // Built once, it is found without Go.
    await expect(findTemporalCli({ env: { ...env, PATH: '' } })).resolves.toBe(found[0]);
  });

  it('leaves no binary behind when the build fails, and shows why', async () => {
    const goDir = path.join(tmp, 'failing-go');
    await fakeGo(goDir, 'echo "go: module lookup disabled" >&2; exit 1');
    const env = { PATH: goDir, XDG_CACHE_HOME: path.join(tmp, 'failed-build-cache') };
    await expect(findTemporalCli({ env })).rejects.toThrow(/failed \(exit 1\):\ngo: module lookup disabled/);
    expect(await fs.readdir(temporalCacheDir(env))).toEqual([]);
  });
});

describe('startDevServer', () => {
  it('registers the search attributes, keeps data in its db file across restarts, and stops its process', async () => {
    const dbFile = path.join(tmp, 'persist.db');
    const workflowId = uniqueName('persisted');
    const first = await startDevServer({ binary, port: await freePort(), uiPort: false, dbFile });
    try {
      expect(await isServerUp(first.address)).toBe(true);
      expect(await searchAttributeNames(first.address)).toEqual(expect.arrayContaining(TUGBOAT_ATTRIBUTE_NAMES));
      // Nobody polls this queue, so the workflow simply stays open: enough to prove it was stored.
      await withClient(first.address, (client) => client.workflow.start('nobodyRunsThis', { taskQueue: uniqueName('unpolled'), workflowId }));
    } finally {
      await first.stop();
    }
    expect(pidIsGone(first.pid)).toBe(true);
    expect(await isServerUp(first.address)).toBe(false);

    const second = await startDevServer({ binary, port: await freePort(), uiPort: false, dbFile });
    try {
      const description = await withClient(second.address, (client) => client.workflow.getHandle(workflowId).describe());
      expect(description.status.name).toBe('RUNNING');
      expect(await searchAttributeNames(second.address)).toEqual(expect.arrayContaining(TUGBOAT_ATTRIBUTE_NAMES));
    } finally {
      await second.stop();
    }
  });

  it('moves to new free ports when its port is taken', async () => {
    await withPortTaken(async (takenPort) => {
      const server = await startDevServer({ binary, port: takenPort, uiPort: false });
      try {
        expect(server.address).not.toBe(`127.0.0.1:${takenPort}`);
        expect(await isServerUp(server.address)).toBe(true);
      } finally {
        await server.stop();
      }
    });
  });

  it('with fixedPorts, fails on a taken port with the server output', async () => {
    await withPortTaken(async (takenPort) => {
      await expect(startDevServer({ binary, port: takenPort, uiPort: false, fixedPorts: true })).rejects.toThrow(
        new RegExp(`127\\.0\\.0\\.1:${takenPort}.*address already in use`),
      );
    });
  });
});

async function withPortTaken(fn: (port: number) => Promise<void>): Promise<void> {
  const blocker = net.createServer();
  // Probes connect here too; close() waits for every connection, so end them ourselves.
  const sockets = new Set<net.Socket>();
  blocker.on('connection', (socket) => sockets.add(socket.once('close', () => sockets.delete(socket))));
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  try {
    await fn((blocker.address() as net.AddressInfo).port);
  } finally {
    sockets.forEach((socket) => socket.destroy());
    await new Promise((resolve) => blocker.close(resolve));
  }
}

describe('startProcess', () => {
  it('stop() escalates to SIGKILL when the process ignores SIGTERM', async () => {
    const stubborn = `process.on('SIGTERM', () => console.log('ignored')); console.log('ready'); setInterval(() => {}, 1000);`;
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const child = startProcess([process.execPath, '-e', stubborn], { onLine: (line) => line === 'ready' && ready() });
    await isReady;
    await child.stop({ graceMs: 300 });
    await expect(child.exited).resolves.toEqual({ code: null, signal: 'SIGKILL' });
    expect(pidIsGone(child.pid)).toBe(true);
  });
});

describe('waitForServer', () => {
  it('gives up after the timeout, naming the address', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    await expect(waitForServer(address, { timeoutMs: 300 })).rejects.toThrow(`${address} within 300 ms`);
  });
});

describe('runDevServer', () => {
  it('reuses a server already answering on its port, registers missing search attributes, and leaves it running', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    // Started by hand, without Tugboat's search attributes, like a server the user runs themselves.
    const foreign = startProcess([binary, 'server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless']);
    try {
      await waitForServer(address, { timeoutMs: 60_000 });
      const run = await runDevServer({ home: path.join(tmp, 'home-reuse'), port, log: () => undefined });
      expect(run).toMatchObject({ reused: true, address });
      expect(await searchAttributeNames(address)).toEqual(expect.arrayContaining(TUGBOAT_ATTRIBUTE_NAMES));
      await run.stop();
      expect(await isServerUp(address)).toBe(true);
    } finally {
      await foreign.stop();
    }
  });

  it('otherwise starts a server that keeps its database in the home dir', async () => {
    const home = path.join(tmp, 'home-new');
    const [port, uiPort] = [await freePort(), await freePort()];
    const run = await runDevServer({ home, port, uiPort, env: { ...process.env, TEMPORAL_CLI_PATH: binary }, log: () => undefined });
    try {
      expect(run).toMatchObject({ reused: false, address: `127.0.0.1:${port}`, uiUrl: `http://127.0.0.1:${uiPort}` });
      await expect(fs.stat(path.join(home, 'temporal.db'))).resolves.toBeTruthy();
    } finally {
      await run.stop();
    }
    expect(pidIsGone(run.pid!)).toBe(true);
  });
});
