/**
 * Tugboat over mTLS and with an API key, against the suite's real Temporal dev server behind a
 * TLS-terminating proxy (`temporal server start-dev` 1.5.1 has no TLS flags): certificates made
 * here with openssl, a `tugboat worker` process and `tugboat deploy` connecting only through the
 * proxy, and the refusals a user meets, each naming the setting to fix. The proxy counts the
 * verified TLS connections it piped, so the deployment provably went through TLS.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectWorkerConnection } from '../../src/client/connection';
import { TemporalConnectError } from '../../src/client/connect-errors';
import { runCommand } from '../../src/system/process';
import { startApiKeyProxy, type ApiKeyProxy } from '../support/api-key-proxy';
import { makeTestCerts, type TestCerts } from '../support/tls-certs';
import { startTlsProxy, type TlsProxy } from '../support/tls-proxy';
import { testEnv } from '../support/temporal-env';
import { spawnWorker, type WorkerProcess } from '../support/worker-process';
import { useWorld } from '../support/world';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'tugboat.js');

let dir: string;
let certs: TestCerts;
let proxy: TlsProxy;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-mtls-'));
  certs = await makeTestCerts(path.join(dir, 'certs'));
  proxy = await startTlsProxy({ backend: testEnv().address, cert: certs.serverCert, key: certs.serverKey, clientCa: certs.caCert });
});
afterAll(async () => {
  await proxy?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The environment of a process that reaches Temporal only through the proxy, with mTLS. */
function mtlsEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    TEMPORAL_ADDRESS: proxy.address,
    TEMPORAL_NAMESPACE: testEnv().namespace,
    TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
    ...overrides,
  };
}

/** No TEMPORAL_* from the machine running the suite: each case sets exactly what it means to. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TEMPORAL_')));
}

/** `env` with the settings a case unsets (undefined) left out, as a shell would. */
function defined(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}

function tugboat(args: string[], env: NodeJS.ProcessEnv) {
  return runCommand([process.execPath, CLI, ...args], { cwd: ROOT, env: defined({ ...cleanEnv(), ...env }) });
}

function manifestFile(name: string): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(
    file,
    `deployment:
  name: ${name}
  environment: tls
  services:
    - { name: db, type: terraform, simulate: { duration: 10ms } }
    - { name: api, type: kubernetes, dependencies: [db], simulate: { duration: 10ms } }
`,
  );
  return file;
}

describe('a deployment over mTLS', () => {
  const world = useWorld('mtls', { worker: false });
  let worker: WorkerProcess | undefined;
  afterAll(() => worker?.process.stop({ graceMs: 5_000 }));

  it('runs on a tugboat worker and tugboat deploy that reach Temporal only through TLS with client certificates', async () => {
    const before = proxy.tlsConnections;
    worker = await spawnWorker({ taskQueue: world.taskQueue, simCloudUrl: world.simCloudUrl, home: world.stateDir, env: { ...cleanEnv(), ...mtlsEnv() } });
    expect(worker.output.join('\n')).toContain(`on ${proxy.address} (namespace ${testEnv().namespace})`);
    const workerConnections = proxy.tlsConnections - before;
    // Its client (search attributes) and its worker connection, each through the proxy.
    expect(workerConnections).toBeGreaterThanOrEqual(2);

    const r = await tugboat(['deploy', manifestFile(world.name), '--json', '--plain'], { ...mtlsEnv(), TUGBOAT_TASK_QUEUE: world.taskQueue });
    expect(r.stderr).not.toContain('error:');
    expect(r.code).toBe(0);
    const status = JSON.parse(r.stdout);
    expect(status).toMatchObject({ phase: 'SUCCEEDED', services: { db: { state: 'SUCCEEDED' }, api: { state: 'SUCCEEDED' } } });
    // The CLI's own connection was a verified TLS one too.
    expect(proxy.tlsConnections - before).toBeGreaterThan(workerConnections);
    // And the simulated cloud really got the work, from the worker behind the proxy.
    expect((await world.cloud.calls()).filter((c) => c.op === 'apply').map((c) => c.service).sort()).toEqual(['api', 'db']);
  });
});

describe('refused connections say which setting is missing', () => {
  // Each case: the CLI exits 5 (unreachable) with one error (no stack trace), and the proxy saw no verified connection from it.
  async function refused(env: NodeJS.ProcessEnv): Promise<string> {
    const before = proxy.tlsConnections;
    const r = await tugboat(['list', '--json'], env);
    expect(r.code).toBe(5);
    // On its own line: grpc-js may print Node's DEP0123 warning first (TLS server name set to an IP).
    expect(r.stderr).toMatch(/^error: could not connect to Temporal: /m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).toContain(`address ${proxy.address}`);
    expect(proxy.tlsConnections).toBe(before);
    return r.stderr;
  }

  it('no client certificate: asks for TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH', async () => {
    const stderr = await refused(mtlsEnv({ TEMPORAL_TLS_CLIENT_CERT_PATH: undefined, TEMPORAL_TLS_CLIENT_KEY_PATH: undefined }));
    expect(stderr).toContain('the server asks for a client certificate (mTLS): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH');
    expect(stderr).toContain('TLS on (client certificate not set, server CA set)');
    expect(proxy.refusals).toContain('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
  });

  it('the wrong CA for the server: points at TEMPORAL_TLS_SERVER_CA_CERT_PATH', async () => {
    const stderr = await refused(mtlsEnv({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.otherCaCert }));
    expect(stderr).toContain("the server's certificate is not signed by the CA in TEMPORAL_TLS_SERVER_CA_CERT_PATH");
  });

  it('a client certificate from a CA the server does not trust: says the server likely refuses it', async () => {
    const stderr = await refused(mtlsEnv({ TEMPORAL_TLS_CLIENT_CERT_PATH: certs.strangerCert, TEMPORAL_TLS_CLIENT_KEY_PATH: certs.strangerKey }));
    expect(stderr).toContain('it most likely refuses this client certificate');
  });

  it('a plain client at the TLS port: says to turn TLS on', async () => {
    const stderr = await refused({ TEMPORAL_ADDRESS: proxy.address, TEMPORAL_NAMESPACE: testEnv().namespace });
    expect(stderr).toContain(`the server at ${proxy.address} speaks TLS and TLS is off: set TEMPORAL_TLS=true`);
    expect(stderr).toContain('TLS off');
    expect(proxy.refusals).toContain('ERR_SSL_WRONG_VERSION_NUMBER');
  });

  it('the worker refuses to start without its client certificate, and its native connection says the same', async () => {
    const env = mtlsEnv({ TEMPORAL_TLS_CLIENT_CERT_PATH: undefined, TEMPORAL_TLS_CLIENT_KEY_PATH: undefined });
    const r = await tugboat(['worker', '--task-queue', 'mtls-refused'], env);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH');
    const native = await connectWorkerConnection({}, env).then(
      async (connection) => {
        await connection.close();
        throw new Error('the worker connection should have been refused');
      },
      (err: unknown) => err,
    );
    expect(native).toBeInstanceOf(TemporalConnectError);
    expect((native as TemporalConnectError).problem).toBe('client-cert-required');
  });

  it('an unreadable certificate file is bad input (exit 2) naming the setting and file, nothing attempted', async () => {
    const missing = path.join(dir, 'no-such-client.pem');
    const before = proxy.refusals.length + proxy.tlsConnections;
    const r = await tugboat(['list'], mtlsEnv({ TEMPORAL_TLS_CLIENT_CERT_PATH: missing }));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read ${missing} (ENOENT); point it at the certificate file\n`);
    expect(proxy.refusals.length + proxy.tlsConnections).toBe(before);
  });

  it('a profile that is not in the config file is bad input (exit 2) naming both', async () => {
    const file = path.join(dir, 'temporal.toml');
    fs.writeFileSync(file, `[profile.prod]\naddress = "${proxy.address}"\n`);
    const r = await tugboat(['list'], { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`TEMPORAL_PROFILE=staging, but ${file} has no profile "staging"`);
  });
});

describe('an API key', () => {
  const world = useWorld('apikey');
  const apiKey = 'tb-test-api-key-0123456789';
  let front: ApiKeyProxy;
  beforeAll(async () => {
    front = await startApiKeyProxy({ backend: testEnv().address, cert: certs.serverCert, key: certs.serverKey, apiKey });
  });
  afterAll(() => front?.close());

  const keyEnv = (key: string | undefined): NodeJS.ProcessEnv => ({
    TEMPORAL_ADDRESS: front.address,
    TEMPORAL_NAMESPACE: testEnv().namespace,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
    ...(key ? { TEMPORAL_API_KEY: key } : {}),
  });

  it('travels with every call of tugboat deploy (TLS on, as envconfig turns it on), and a deployment succeeds', async () => {
    const r = await tugboat(['deploy', manifestFile(world.name), '--json', '--plain'], { ...keyEnv(apiKey), TUGBOAT_TASK_QUEUE: world.taskQueue });
    expect(r.stderr).not.toContain('error:');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ phase: 'SUCCEEDED' });
    expect(front.forwarded).toBeGreaterThan(0);
    expect(front.refused).toBe(0);
  });

  it('a wrong key is named as refused, and never printed', async () => {
    const wrong = 'tb-wrong-key-9876543210';
    const r = await tugboat(['list'], keyEnv(wrong));
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('the server refused the API key: check TEMPORAL_API_KEY');
    expect(r.stderr).toContain('API key set');
    expect(r.stderr).not.toContain(wrong);
    expect(front.refused).toBeGreaterThan(0);
  });

  it('no key: says to set TEMPORAL_API_KEY; the worker connection says the same', async () => {
    const r = await tugboat(['list'], keyEnv(undefined));
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('the server wants credentials: set TEMPORAL_API_KEY');
    const native = await connectWorkerConnection({}, keyEnv(undefined)).catch((err: unknown) => err);
    expect((native as TemporalConnectError).problem).toBe('unauthenticated');
    const accepted = await connectWorkerConnection({}, keyEnv(apiKey));
    await accepted.close();
  });
});
