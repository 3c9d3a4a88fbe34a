/**
 * The connection settings, read as every Temporal tool reads them (@temporalio/envconfig: the
 * TEMPORAL_* environment over a temporal.toml profile), checked before anything connects: a
 * profile that is not there, a certificate or key file that cannot be read or is not PEM, a
 * certificate without its key. Each refusal names the setting and the file, never their contents.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadClientConfigProfile, toClientOptions, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { TemporalSettingsError, type ConnectSettings } from './connect-errors';
import { warnOnce } from '../system/warn-once';

export interface TemporalTarget {
  address: string;
  namespace: string;
}

export interface ResolvedConnection {
  connectionOptions: NativeConnectionOptions & { address: string };
  namespace: string;
  settings: ConnectSettings;
  /** Only to cut it out of quoted server errors; never printed. */
  apiKey?: string;
}

/** The environment variables envconfig reads (TEMPORAL_GRPC_META_* aside), in the order we list them. */
const ENV_SETTINGS = [
  'TEMPORAL_PROFILE', 'TEMPORAL_CONFIG_FILE', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY', 'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_CERT_DATA', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_DATA', 'TEMPORAL_TLS_SERVER_NAME',
] as const;

type TlsFile = 'clientCert' | 'clientKey' | 'serverCACert';
const TLS_FILES: Record<TlsFile, { env: string; key: string; kind: 'certificate' | 'private key' }> = {
  clientCert: { env: 'TEMPORAL_TLS_CLIENT_CERT', key: 'client_cert', kind: 'certificate' },
  clientKey: { env: 'TEMPORAL_TLS_CLIENT_KEY', key: 'client_key', kind: 'private key' },
  serverCACert: { env: 'TEMPORAL_TLS_SERVER_CA_CERT', key: 'server_ca_cert', kind: 'certificate' },
};


export function resolveConnection(
  overrides: Partial<TemporalTarget> = {},
  env: NodeJS.ProcessEnv = process.env,
  warn: (line: string) => void = warnOnce,
): ResolvedConnection {
  const configFile = configFilePath(env);
  const profileName = env.TEMPORAL_PROFILE || 'default';
  const where = `profile ${profileName}${configFile ? ` in ${configFile}` : ''}`;
  if (env.TEMPORAL_CONFIG_FILE && !fs.existsSync(env.TEMPORAL_CONFIG_FILE)) {
    throw new TemporalSettingsError(`TEMPORAL_CONFIG_FILE names ${env.TEMPORAL_CONFIG_FILE}, which does not exist: fix the path or unset it`);
  }
  // envconfig reads it, but the TypeScript SDK has no such option: the host is verified anyway.
  // Said, not refused: where the name matches, a setup shared with the temporal CLI works as it is.
  if (env.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION === 'true' || env.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION === '1') {
    warn(
      "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION is not supported by Temporal's TypeScript SDK, which Tugboat uses: the server's name is verified anyway. " +
        "If it does not match the address, set TEMPORAL_TLS_SERVER_NAME to a name the server's certificate is for.",
    );
  }
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({ overrideEnvVars: env as Record<string, string> });
  } catch (err) {
    throw new TemporalSettingsError(settingsProblem(err, profileName, configFile));
  }
  const tls = profile.tls;
  const setting = (file: TlsFile, form: 'path' | 'data') =>
    env[`${TLS_FILES[file].env}_${form.toUpperCase()}`] !== undefined ? `${TLS_FILES[file].env}_${form.toUpperCase()}` : `${TLS_FILES[file].key}_${form} (${where})`;
  if (tls && !tls.disabled) {
    for (const file of Object.keys(TLS_FILES) as TlsFile[]) checkPem(tls[file], TLS_FILES[file].kind, (form) => setting(file, form));
    if (Boolean(tls.clientCert) !== Boolean(tls.clientKey)) {
      const [given, missing]: TlsFile[] = tls.clientCert ? ['clientCert', 'clientKey'] : ['clientKey', 'clientCert'];
      throw new TemporalSettingsError(
        `${setting(given, 'path' in tls[given]! ? 'path' : 'data')} is set but its pair is not: set ${TLS_FILES[missing].env}_PATH ` +
          `(or ${TLS_FILES[missing].key}_path in the profile) too; a client certificate needs its private key`,
      );
    }
  }

  const config = toClientOptions(profile);
  const address = overrides.address ?? config.connectionOptions.address ?? 'localhost:7233';
  const namespace = overrides.namespace ?? config.namespace ?? 'default';
  const tlsOn = Boolean(config.connectionOptions.tls);
  return {
    connectionOptions: { ...config.connectionOptions, address },
    namespace,
    apiKey: profile.apiKey,
    settings: {
      address,
      namespace,
      profile: profileName,
      ...(configFile && fs.existsSync(configFile) ? { configFile } : {}),
      tls: tlsOn,
      clientCert: tlsOn && Boolean(tls?.clientCert),
      serverCa: tlsOn && Boolean(tls?.serverCACert),
      ...(tls?.serverName ? { serverName: tls.serverName } : {}),
      apiKey: profile.apiKey !== undefined,
      given: ENV_SETTINGS.filter((name) => env[name] !== undefined),
    },
  };
}

/** Where envconfig looks for temporal.toml (its own rule, repeated only to name the file in messages). */
function configFilePath(env: NodeJS.ProcessEnv): string | undefined {
  if (env.TEMPORAL_CONFIG_FILE) return env.TEMPORAL_CONFIG_FILE;
  const home = env.HOME;
  if (os.platform() === 'win32') return env.APPDATA ? path.join(env.APPDATA, 'temporalio', 'temporal.toml') : undefined;
  if (os.platform() === 'darwin') return home ? path.join(home, 'Library', 'Application Support', 'temporalio', 'temporal.toml') : undefined;
  const dir = env.XDG_CONFIG_HOME || (home ? path.join(home, '.config') : undefined);
  return dir ? path.join(dir, 'temporalio', 'temporal.toml') : undefined;
}

function settingsProblem(err: unknown, profileName: string, configFile: string | undefined): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/Profile '.*' not found/.test(message)) {
    return `TEMPORAL_PROFILE=${profileName}, but ${configFile ?? 'the config file'} has no profile "${profileName}"` +
      `${configFile && !fs.existsSync(configFile) ? ' (the file does not exist)' : ''}: add [profile.${profileName}] to it, or set TEMPORAL_CONFIG_FILE to the file that has it, or unset TEMPORAL_PROFILE`;
  }
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code) return `cannot read the Temporal config file ${configFile ?? ''} (${code}): fix its permissions or set TEMPORAL_CONFIG_FILE`;
  return `the Temporal config file ${configFile ?? ''} (profile ${profileName}) is not usable: ${message}`;
}

/** Readable and PEM of the right kind; the contents are parsed, never quoted. */
function checkPem(source: ConfigDataSource | undefined, kind: 'certificate' | 'private key', name: (form: 'path' | 'data') => string): void {
  if (!source) return;
  let pem: Buffer;
  if ('path' in source) {
    try {
      pem = fs.readFileSync(source.path);
    } catch (err) {
      throw new TemporalSettingsError(`${name('path')}: cannot read ${source.path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); point it at the ${kind} file`);
    }
  } else {
    pem = Buffer.from(source.data);
  }
  const form = 'path' in source ? 'path' : 'data';
  const what = 'path' in source ? `${source.path} is` : 'the value is';
  try {
    if (kind === 'certificate') new crypto.X509Certificate(pem);
    else crypto.createPrivateKey(pem);
  } catch (err) {
    // An encrypted key parses only with its passphrase, which no Temporal setting carries.
    if ((err as NodeJS.ErrnoException).code === 'ERR_MISSING_PASSPHRASE') {
      throw new TemporalSettingsError(`${name(form)}: ${what} an encrypted private key; give an unencrypted one (openssl pkey -in <key> -out <new key>)`);
    }
    throw new TemporalSettingsError(`${name(form)}: ${what} not a PEM ${kind}`);
  }
}
