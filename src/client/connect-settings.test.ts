/**
 * The connection settings as envconfig reads them, and every refusal naming its setting: an API
 * key reaches the connection options with TLS on (as envconfig decides), TLS files are checked
 * before anything connects, and nothing in a message is a key, a certificate or the API key.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TemporalSettingsError } from './connect-errors';
import { resolveConnection } from './connect-settings';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-connect-settings-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * A PEM certificate (a fixture: Node cannot make one) and a PEM key (made here). They need not
 * match: these checks read files, they do not handshake (test/e2e/mtls.test.ts does).
 */
function pemPair(): { cert: string; key: string } {
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cert = fs.readFileSync(path.join(__dirname, '..', '..', 'test', 'fixtures', 'tls', 'test-ca.pem'), 'utf8');
  return { cert, key };
}

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** A clean environment: no TEMPORAL_* from the machine running the tests, no real config file. */
function env(vars: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'xdg'), ...vars };
}

function refusal(vars: Record<string, string>): string {
  try {
    resolveConnection({}, env(vars));
  } catch (err) {
    expect(err).toBeInstanceOf(TemporalSettingsError);
    return (err as Error).message;
  }
  throw new Error('expected the settings to be refused');
}

describe('resolveConnection', () => {
  const { cert, key } = pemPair();
  const certFile = write('client.pem', cert);
  const keyFile = write('client.key', key);

  it('defaults to a plain localhost:7233, namespace default, nothing given', () => {
    const r = resolveConnection({}, env());
    expect(r.connectionOptions).toMatchObject({ address: 'localhost:7233' });
    expect(r.connectionOptions.tls).toBeUndefined();
    expect(r.settings).toEqual({
      address: 'localhost:7233', namespace: 'default', profile: 'default', tls: false, clientCert: false, serverCa: false, apiKey: false, given: [],
    });
  });

  it('passes TEMPORAL_API_KEY to the connection and turns TLS on, as envconfig does', () => {
    const r = resolveConnection({}, env({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct', TEMPORAL_API_KEY: 'secret-key-1' }));
    expect(r.connectionOptions.apiKey).toBe('secret-key-1');
    expect(r.connectionOptions.tls).toBe(true);
    expect(r.namespace).toBe('ns.acct');
    expect(r.settings).toMatchObject({ tls: true, apiKey: true, given: ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY'] });
    expect(JSON.stringify(r.settings)).not.toContain('secret-key-1');
  });

  it('keeps TLS off with an API key when TEMPORAL_TLS=false says so', () => {
    const r = resolveConnection({}, env({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }));
    expect(r.connectionOptions.tls).toBe(false);
    expect(r.settings.tls).toBe(false);
  });

  it('loads the mTLS files into the connection options', () => {
    const r = resolveConnection({}, env({ TEMPORAL_TLS_CLIENT_CERT_PATH: certFile, TEMPORAL_TLS_CLIENT_KEY_PATH: keyFile, TEMPORAL_TLS_SERVER_CA_CERT_PATH: certFile, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' }));
    const tls = r.connectionOptions.tls as { clientCertPair: { crt: Uint8Array; key: Uint8Array }; serverRootCACertificate: Uint8Array; serverNameOverride: string };
    expect(Buffer.from(tls.clientCertPair.crt).toString()).toBe(cert);
    expect(Buffer.from(tls.clientCertPair.key).toString()).toBe(key);
    expect(Buffer.from(tls.serverRootCACertificate).toString()).toBe(cert);
    expect(tls.serverNameOverride).toBe('temporal.internal');
    expect(r.settings).toMatchObject({ tls: true, clientCert: true, serverCa: true, serverName: 'temporal.internal' });
  });

  it('reads a temporal.toml profile named by TEMPORAL_PROFILE, the environment winning', () => {
    const file = write('temporal.toml', `[profile.prod]\naddress = "prod.example:7233"\nnamespace = "prod"\n[profile.prod.tls]\nserver_ca_cert_path = "${certFile}"\n`);
    const r = resolveConnection({}, env({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod', TEMPORAL_NAMESPACE: 'other' }));
    expect(r.settings).toMatchObject({ address: 'prod.example:7233', namespace: 'other', profile: 'prod', configFile: file, tls: true, serverCa: true });
  });

  it('refuses a profile the config file does not have, naming both', () => {
    const file = write('only-default.toml', '[profile.default]\naddress = "a:1"\n');
    const message = refusal({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' });
    expect(message).toContain('TEMPORAL_PROFILE=staging');
    expect(message).toContain(file);
    expect(message).toContain('[profile.staging]');
  });

  it('refuses a TEMPORAL_CONFIG_FILE that does not exist', () => {
    expect(refusal({ TEMPORAL_CONFIG_FILE: path.join(dir, 'nope.toml') })).toMatch(/TEMPORAL_CONFIG_FILE names .*nope\.toml, which does not exist/);
  });

  it('refuses a config file that is not TOML, naming the file', () => {
    const file = write('broken.toml', '[profile.default\naddress = ');
    expect(refusal({ TEMPORAL_CONFIG_FILE: file })).toContain(file);
  });

  it('names the setting and file of a certificate that cannot be read, or is not a certificate', () => {
    const missing = path.join(dir, 'missing.pem');
    expect(refusal({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: missing })).toBe(
      `TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read ${missing} (ENOENT); point it at the certificate file`,
    );
    const notPem = write('not.pem', 'hello');
    expect(refusal({ TEMPORAL_TLS_CLIENT_CERT_PATH: notPem, TEMPORAL_TLS_CLIENT_KEY_PATH: keyFile })).toBe(
      `TEMPORAL_TLS_CLIENT_CERT_PATH: ${notPem} is not a PEM certificate`,
    );
  });

  it('says a key file is not a key without quoting what is in it', () => {
    const message = refusal({ TEMPORAL_TLS_CLIENT_CERT_PATH: certFile, TEMPORAL_TLS_CLIENT_KEY_PATH: certFile });
    expect(message).toBe(`TEMPORAL_TLS_CLIENT_KEY_PATH: ${certFile} is not a PEM private key`);
    expect(message).not.toContain('BEGIN');
  });

  it('refuses key data that is not a key, never quoting the value', () => {
    const message = refusal({ TEMPORAL_TLS_CLIENT_CERT_PATH: certFile, TEMPORAL_TLS_CLIENT_KEY_DATA: 'super-secret-not-a-key' });
    expect(message).toBe('TEMPORAL_TLS_CLIENT_KEY_DATA: the value is not a PEM private key');
  });

  it('refuses a client certificate without its key, and a key without its certificate', () => {
    expect(refusal({ TEMPORAL_TLS_CLIENT_CERT_PATH: certFile })).toMatch(/^TEMPORAL_TLS_CLIENT_CERT_PATH is set but its pair is not: set TEMPORAL_TLS_CLIENT_KEY_PATH/);
    expect(refusal({ TEMPORAL_TLS_CLIENT_KEY_PATH: keyFile })).toMatch(/^TEMPORAL_TLS_CLIENT_KEY_PATH is set but its pair is not: set TEMPORAL_TLS_CLIENT_CERT_PATH/);
  });

  it('names the profile key when the file came from temporal.toml', () => {
    const missing = path.join(dir, 'gone.pem');
    const file = write('profile-tls.toml', `[profile.default.tls]\nclient_cert_path = "${missing}"\nclient_key_path = "${keyFile}"\n`);
    expect(refusal({ TEMPORAL_CONFIG_FILE: file })).toBe(`client_cert_path (profile default in ${file}): cannot read ${missing} (ENOENT); point it at the certificate file`);
  });

  it('warns that TEMPORAL_TLS_DISABLE_HOST_VERIFICATION, which the SDK ignores, does nothing, pointing at TEMPORAL_TLS_SERVER_NAME', () => {
    const warnings: string[] = [];
    const r = resolveConnection({}, env({ TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true', TEMPORAL_ADDRESS: 'temporal.internal:7233' }), (line) => warnings.push(line));
    expect(r.connectionOptions.address).toBe('temporal.internal:7233');
    expect(warnings).toEqual([expect.stringMatching(/^TEMPORAL_TLS_DISABLE_HOST_VERIFICATION is not supported .*the server's name is verified anyway.*set TEMPORAL_TLS_SERVER_NAME/)]);
    const quiet: string[] = [];
    resolveConnection({}, env({}), (line) => quiet.push(line));
    expect(quiet).toEqual([]);
  });

  it('ignores TLS files when TLS is turned off', () => {
    const r = resolveConnection({}, env({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'missing.pem') }));
    expect(r.connectionOptions.tls).toBe(false);
  });

  it('lets the caller override address and namespace', () => {
    const r = resolveConnection({ address: '127.0.0.1:1234', namespace: 'x' }, env({ TEMPORAL_ADDRESS: 'elsewhere:7233' }));
    expect(r.connectionOptions.address).toBe('127.0.0.1:1234');
    expect(r.settings).toMatchObject({ address: '127.0.0.1:1234', namespace: 'x' });
  });
});
