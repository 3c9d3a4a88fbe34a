/**
 * Tracing is off unless OTEL_EXPORTER_OTLP_ENDPOINT (or the traces-only
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) names an OTLP/HTTP collector, as every OpenTelemetry SDK
 * reads them: the base endpoint gets /v1/traces appended, the traces-only one is used as it is.
 */
export interface TracingConfig {
  /** Where spans are POSTed (OTLP/HTTP, JSON). */
  tracesUrl: string;
  serviceName: string;
}

export function tracingConfig(env: NodeJS.ProcessEnv, defaultServiceName: string): TracingConfig | undefined {
  const tracesOnly = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!tracesOnly && !base) return undefined;
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const name = tracesOnly ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const raw = (tracesOnly || base) as string;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} is not a URL: ${JSON.stringify(raw)} (e.g. http://127.0.0.1:4318, an OTLP/HTTP collector; unset it to turn tracing off)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`${name} must be an http(s) URL of an OTLP/HTTP collector (port 4318 usually), got ${JSON.stringify(raw)}`);
  }
  const tracesUrl = tracesOnly ? url.href : `${url.href.replace(/\/+$/, '')}/v1/traces`;
  return { tracesUrl, serviceName: env.OTEL_SERVICE_NAME?.trim() || defaultServiceName };
}
