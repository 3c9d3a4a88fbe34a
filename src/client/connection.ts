/**
 * Connecting to Temporal the way every Temporal tool does: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TLS and API keys (TEMPORAL_TLS_*, TEMPORAL_API_KEY) and config-file profiles through
 * @temporalio/envconfig, so the same CLI, worker and ingress point at a production cluster
 * unchanged. Unusable settings throw TemporalSettingsError before anything connects (the CLI: exit
 * 2); a refused connection throws TemporalConnectError saying which setting the server wants.
 * With OTEL_EXPORTER_OTLP_ENDPOINT set, what the client starts carries its trace (src/tracing).
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { dataConverterFromEnv } from '../codec';
import { clientTracingInterceptors } from '../tracing';
import { connectFailure } from './connect-diagnosis';
import { resolveConnection, type TemporalTarget } from './connect-settings';

export type { TemporalTarget } from './connect-settings';
export { TemporalConnectError, TemporalSettingsError } from './connect-errors';

/** Throws TemporalSettingsError (naming the setting) when the settings cannot be used. */
export function temporalTarget(overrides: Partial<TemporalTarget> = {}): TemporalTarget {
  const { address, namespace } = resolveConnection(overrides).settings;
  return { address, namespace };
}

/**
 * A failed connect becomes a TemporalConnectError: where, with what, why, which setting to fix.
 * `env` is the process's environment; tests pass another to connect as a differently set-up process would.
 */
export async function connectClient(overrides: Partial<TemporalTarget> = {}, env: NodeJS.ProcessEnv = process.env): Promise<Client> {
  const resolved = resolveConnection(overrides, env);
  const { connectionOptions, namespace } = resolved;
  const connection = await Connection.connect(connectionOptions).catch(async (err: unknown) => {
    throw await connectFailure(err, resolved, 'client');
  });
  return new Client({ connection, namespace, interceptors: clientTracingInterceptors(), dataConverter: dataConverterFromEnv() });
}

/**
 * A plain connection to a local dev server this process found or started: none of the
 * environment's TLS, API key or namespace settings apply to it.
 */
export async function connectLocalClient(address: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace: 'default', interceptors: clientTracingInterceptors(), dataConverter: dataConverterFromEnv() });
}

export async function connectWorkerConnection(overrides: Partial<TemporalTarget> = {}, env: NodeJS.ProcessEnv = process.env): Promise<NativeConnection> {
  const resolved = resolveConnection(overrides, env);
  return NativeConnection.connect(resolved.connectionOptions).catch(async (err: unknown) => {
    throw await connectFailure(err, resolved, 'worker');
  });
}
