/**
 * Connecting to Temporal the way every Temporal tool does: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TLS and API keys (TEMPORAL_TLS_*, TEMPORAL_API_KEY) and config-file profiles through
 * @temporalio/envconfig, so the same CLI and worker point at a production cluster unchanged.
 * With OTEL_EXPORTER_OTLP_ENDPOINT set, what the client starts carries its trace (src/tracing).
 */
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import { dataConverterFromEnv } from '../codec';
import { clientTracingInterceptors } from '../tracing';

export interface TemporalTarget {
  address: string;
  namespace: string;
}

function connectConfig(overrides: Partial<TemporalTarget> = {}) {
  const config = loadClientConnectConfig();
  const address = overrides.address ?? config.connectionOptions.address ?? 'localhost:7233';
  const namespace = overrides.namespace ?? config.namespace ?? 'default';
  return { connectionOptions: { ...config.connectionOptions, address }, namespace };
}

export function temporalTarget(overrides: Partial<TemporalTarget> = {}): TemporalTarget {
  const { connectionOptions, namespace } = connectConfig(overrides);
  return { address: connectionOptions.address, namespace };
}

export async function connectClient(overrides: Partial<TemporalTarget> = {}): Promise<Client> {
  const { connectionOptions, namespace } = connectConfig(overrides);
  const connection = await Connection.connect(connectionOptions);
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

export async function connectWorkerConnection(overrides: Partial<TemporalTarget> = {}): Promise<NativeConnection> {
  const { connectionOptions } = connectConfig(overrides);
  return NativeConnection.connect(connectionOptions);
}
