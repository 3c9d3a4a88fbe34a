/**
 * The process's OpenTelemetry tracing: spans batched to the OTLP/HTTP collector. One pipeline per
 * service name, so a worker process names its workflow and activity spans `tugboat-worker` although
 * it also runs a client (`tugboat`). The first one is registered globally: Temporal's interceptors
 * propagate trace context through the global propagator and context manager. Each batch is flushed
 * when the process runs out of work (a CLI command's end, a stopped worker).
 */
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from './config';

export interface TracingPipeline {
  tracer: Tracer;
  resource: Resource;
  spanProcessor: SpanProcessor;
}

const pipelines = new Map<string, TracingPipeline>();

export function startTracing(config: TracingConfig): TracingPipeline {
  const existing = pipelines.get(config.serviceName);
  if (existing) return existing;
  const resource = Resource.default().merge(new Resource({ 'service.name': config.serviceName }));
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: config.tracesUrl }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  if (pipelines.size === 0) provider.register();
  const pipeline = { tracer: provider.getTracer('tugboat'), resource, spanProcessor };
  pipelines.set(config.serviceName, pipeline);
  let flushing = false;
  // beforeExit fires again once the flush settles; flush once. A collector that is down costs
  // the export timeout, never the command's result (OpenTelemetry swallows export errors).
  process.on('beforeExit', () => {
    if (flushing) return;
    flushing = true;
    void provider.shutdown().catch(() => undefined);
  });
  return pipeline;
}
