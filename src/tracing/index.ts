/**
 * OpenTelemetry tracing through Temporal's interceptors (@temporalio/interceptors-opentelemetry):
 * the CLI's client starts a deployment inside a span and passes its context in the workflow's
 * headers; the workflow, its children and each activity continue the same trace. Off (and the
 * OpenTelemetry SDK not even loaded) unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
 */
import type { ClientInterceptors } from '@temporalio/client';
import type { WorkerInterceptors, WorkerOptions } from '@temporalio/worker';
import { tracingConfig } from './config';

export { tracingConfig } from './config';

/** The workflow side (in every bundle; it traces only runs started with a trace context). */
export const TRACING_WORKFLOW_MODULE = require.resolve('./workflow-interceptors');

/** Loaded on demand: a command without tracing pays nothing for the OpenTelemetry SDK. */
function load() {
  return {
    provider: require('./provider') as typeof import('./provider'),
    interceptors: require('@temporalio/interceptors-opentelemetry') as typeof import('@temporalio/interceptors-opentelemetry'),
  };
}

/** The CLI client's workflow interceptors: none with tracing off. */
export function clientTracingInterceptors(env: NodeJS.ProcessEnv = process.env): ClientInterceptors | undefined {
  const config = tracingConfig(env, 'tugboat');
  if (!config) return undefined;
  const { provider, interceptors } = load();
  const { tracer } = provider.startTracing(config);
  return { workflow: [new interceptors.OpenTelemetryWorkflowClientInterceptor({ tracer })] };
}

export interface WorkerTracing {
  /** Activity spans: none with tracing off. */
  activity: NonNullable<WorkerInterceptors['activity']>;
  /**
   * Where workflow spans leave the sandbox. Always registered: a traced run (its starter traced it)
   * makes spans whatever this worker's setting; with tracing off they are dropped here.
   */
  sinks: NonNullable<WorkerOptions['sinks']>;
}

export function workerTracing(env: NodeJS.ProcessEnv = process.env): WorkerTracing {
  const config = tracingConfig(env, 'tugboat-worker');
  if (!config) return { activity: [], sinks: { exporter: { export: { fn: () => undefined } } } };
  const { provider, interceptors } = load();
  const { tracer, resource, spanProcessor } = provider.startTracing(config);
  return {
    activity: [
      (ctx) => ({
        inbound: new interceptors.OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
        outbound: new interceptors.OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    sinks: { exporter: interceptors.makeWorkflowExporter(spanProcessor, resource) },
  };
}
