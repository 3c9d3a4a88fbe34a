/**
 * The process's OpenTelemetry tracer provider: spans batched to the OTLP/HTTP collector, registered
 * globally so Temporal's interceptors (which use the global tracer) find it. One per process; the
 * batch is flushed when the process runs out of work (a CLI command's end, a stopped worker).
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from './config';

export interface TracingPipeline {
  resource: Resource;
  spanProcessor: SpanProcessor;
}

let installed: TracingPipeline | undefined;

export function startTracing(config: TracingConfig): TracingPipeline {
  if (installed) return installed;
  const resource = Resource.default().merge(new Resource({ 'service.name': config.serviceName }));
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: config.tracesUrl }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  installed = { resource, spanProcessor };
  let flushing = false;
  // beforeExit fires again once the flush settles; flush once. A collector that is down costs
  // the export timeout, never the command's result (OpenTelemetry swallows export errors).
  process.on('beforeExit', () => {
    if (flushing) return;
    flushing = true;
    void provider.shutdown().catch(() => undefined);
  });
  return installed;
}
