/**
 * `tugboat codec-server` as operators run it, with the tools that call it: the Temporal Web UI in
 * headless Chromium (a dev server of this test's own, started with --ui-codec-endpoint, since the
 * suite's server UI has no codec endpoint) shows a deployment's input decoded, marker included; the
 * `temporal` CLI does too with --codec-endpoint. The command refuses to start without keys.
 * Requires the build (bin/tugboat.js runs dist/).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { chromium, type Browser } from 'playwright-core';
import { ensureChromium } from '../../scripts/ensure-chromium';
import { startDeployment } from '../../src/client/deployments';
import { codecKeysFromEnv, encryptingDataConverter, ENCRYPTED_ENCODING } from '../../src/codec';
import { validateManifestOrThrow } from '../../src/manifest/validate';
import { freePort, startDevServer, type DevServer } from '../../src/server/dev-server';
import { findTemporalCli } from '../../src/server/temporal-cli';
import { startSimCloud } from '../../src/simcloud';
import { CleanupStack } from '../../src/system/cleanup';
import { runCommand, startProcess } from '../../src/system/process';
import { createTugboatWorker } from '../../src/worker';
import { installWorkerLogging } from '../../src/worker/logging';
import { uniqueName, workflowBundle } from '../support/temporal-env';
import { waitFor } from '../support/wait';

// Worker state changes would flood the output at INFO.
installWorkerLogging('ERROR');

const CLI = path.resolve(__dirname, '..', '..', 'bin', 'tugboat.js');
const SCREENSHOT_DIR = path.resolve(__dirname, '..', '..', 'test-output', 'web-ui');
const UI_TIMEOUT_MS = 30_000;
const KEYS = `ui-test:${crypto.randomBytes(32).toString('base64')}`;
const MARKER = `codec-ui-marker-${crypto.randomBytes(6).toString('hex')}`;
/** The command's environment: this test's keys, none from the machine. */
const baseEnv = () => {
  const env = { ...process.env };
  for (const name of ['TUGBOAT_CODEC_KEYS', 'TUGBOAT_CODEC_KEY_FILE', 'TUGBOAT_CODEC_SERVER_TOKEN']) delete env[name];
  return env;
};

it('refuses to start without keys, or with bad ones, naming the setting and the fix', async () => {
  const none = await runCommand([process.execPath, CLI, 'codec-server', '--port', '0'], { env: baseEnv() });
  expect(none.code).toBe(2);
  expect(none.stderr).toMatch(/the codec server needs the keys the workers use: set TUGBOAT_CODEC_KEYS=.*openssl rand -base64 32/);
  const short = crypto.randomBytes(16).toString('base64');
  const bad = await runCommand([process.execPath, CLI, 'codec-server', '--port', '0'], { env: { ...baseEnv(), TUGBOAT_CODEC_KEYS: `${KEYS},old:${short}` } });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('TUGBOAT_CODEC_KEYS entry 2 (key ID old): the key must be 32 bytes in base64 (got 16 bytes)');
  expect(bad.stderr).not.toContain(short);
  const origin = await runCommand([process.execPath, CLI, 'codec-server', '--cors-origin', 'http://ui.example/path'], { env: { ...baseEnv(), TUGBOAT_CODEC_KEYS: KEYS } });
  expect(origin.code).toBe(2);
  expect(origin.stderr).toContain('expected an origin (scheme://host[:port], no path), e.g. http://ui.example');
});

describe('the Web UI and the temporal CLI through tugboat codec-server', () => {
  const cleanup = new CleanupStack();
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
    for (const err of await cleanup.run()) console.error(`cleanup: ${(err as Error).message}`);
  });

  it('show the deployment input decoded', async () => {
    const executablePath = await ensureChromium({ log: console.log });
    const binary = await findTemporalCli();
    const codecPort = await freePort();
    const codecUrl = `http://127.0.0.1:${codecPort}`;
    const server: DevServer = await startDevServer({ binary, port: await freePort(), uiPort: await freePort(), uiCodecEndpoint: codecUrl });
    cleanup.push(() => server.stop());
    const uiUrl = server.uiUrl!;

    const output: string[] = [];
    const codecServer = startProcess([process.execPath, CLI, 'codec-server', '--port', String(codecPort), '--cors-origin', uiUrl], {
      env: { ...baseEnv(), TUGBOAT_CODEC_KEYS: KEYS },
      onLine: (line) => output.push(line),
    });
    cleanup.push(() => codecServer.stop());
    await waitFor(() => output.find((l) => l.startsWith('codec server on')), { timeoutMs: 30_000, what: 'the codec server to listen' });
    expect(output.join('\n')).toContain(`codec server on ${codecUrl} (encrypts with key ui-test, decrypts ui-test; CORS for ${uiUrl}; no token)`);

    // A worker and a client with the same keys, on this server.
    const converter = encryptingDataConverter(codecKeysFromEnv({ TUGBOAT_CODEC_KEYS: KEYS })!);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-codec-ui-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const sim = await startSimCloud({ port: 0, stateFile: path.join(dir, 'simcloud.json') });
    cleanup.push(() => sim.close());
    const connection = await NativeConnection.connect({ address: server.address });
    cleanup.push(() => connection.close());
    const taskQueue = uniqueName('codec-ui');
    const worker = await createTugboatWorker({ connection, taskQueue, simCloudUrl: sim.url, stateDir: path.join(dir, 'state'), workflowBundle: workflowBundle(), dataConverter: converter });
    const running = worker.run();
    cleanup.push(async () => {
      worker.shutdown();
      await running;
    });
    const clientConnection = await Connection.connect({ address: server.address });
    cleanup.push(() => clientConnection.close());
    const client = new Client({ connection: clientConnection, dataConverter: converter });
    const manifest = validateManifestOrThrow({
      deployment: { name: taskQueue, environment: 'ui', services: [{ name: 'api', type: 'kubernetes', executor: 'simulated', config: { owner: MARKER }, simulate: { duration: '10ms' } }] },
    });
    const { handle } = await startDeployment(client, manifest, { taskQueue });
    expect((await handle.result()).phase).toBe('SUCCEEDED');

    // The temporal CLI, as an operator would ask it.
    const show = await runCommand([binary, 'workflow', 'show', '--address', server.address, '--namespace', 'default', '-w', handle.workflowId, '--codec-endpoint', codecUrl, '-o', 'json']);
    const startInput = (stdout: string) => {
      const payload = JSON.parse(stdout).events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
      return { encoding: Buffer.from(payload.metadata.encoding, 'base64').toString(), data: Buffer.from(payload.data, 'base64').toString() };
    };
    expect(show.stderr).toBe('');
    expect(startInput(show.stdout).encoding).toBe('json/plain');
    expect(startInput(show.stdout).data).toContain(MARKER);
    expect(show.stdout).not.toContain(Buffer.from(ENCRYPTED_ENCODING).toString('base64'));
    const plainShow = await runCommand([binary, 'workflow', 'show', '--address', server.address, '--namespace', 'default', '-w', handle.workflowId, '-o', 'json']);
    expect(startInput(plainShow.stdout).encoding).toBe(ENCRYPTED_ENCODING);
    expect(startInput(plainShow.stdout).data).not.toContain(MARKER);

    // The Web UI: the workflow's page, its input decoded by the browser's call to the codec server.
    browser = await chromium.launch({ executablePath, headless: true, args: ['--disable-dev-shm-usage'] });
    const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
    const decodeCalls: number[] = [];
    page.on('response', (res) => {
      if (res.url() === `${codecUrl}/decode`) decodeCalls.push(res.status());
    });
    await page.goto(`${uiUrl}/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}`);
    await page.getByText(MARKER).first().waitFor({ timeout: UI_TIMEOUT_MS });
    expect(decodeCalls.length).toBeGreaterThan(0);
    expect(decodeCalls.every((status) => status === 200)).toBe(true);
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = path.join(SCREENSHOT_DIR, 'codec-decoded-input.png');
    fs.rmSync(file, { force: true });
    await page.screenshot({ path: file, fullPage: true });
    expect(fs.statSync(file).size).toBeGreaterThan(0);
  });
});
