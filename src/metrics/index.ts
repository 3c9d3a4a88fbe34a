/**
 * What a Tugboat worker adds to Temporal's worker for observability: the step metrics interceptor
 * on activities, the deployment metrics and tracing interceptors in the workflow bundle, and — when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set — Temporal's OpenTelemetry activity interceptors and the sink
 * that exports workflow spans.
 * The metrics go through the SDK's metric meters, so they are served wherever the runtime exports
 * Temporal's own (`tugboat worker --metrics`, see src/worker/logging.ts) and cost nothing otherwise.
 */
import type { WorkerOptions } from '@temporalio/worker';
import { TRACING_WORKFLOW_MODULE, workerTracing } from '../tracing';
import { StepMetricsInterceptor } from './activity-interceptor';

export * from './names';

/**
 * Workflow interceptor modules every Tugboat workflow bundle includes: deployment metrics, and the
 * tracing interceptors (which act only in runs started with a trace context). The same in every
 * bundle whatever a worker's settings, so every worker replays every history alike. A pre-built
 * bundle (bundleWorkflowCode, as the tests build one) must pass them as `workflowInterceptorModules`:
 * Temporal ignores a worker's workflowModules when it is given a bundle.
 */
export const WORKFLOW_INTERCEPTOR_MODULES: readonly string[] = [require.resolve('./workflow-interceptors'), TRACING_WORKFLOW_MODULE];

export interface WorkerInstrumentationOptions {
  /** The worker runs a pre-built bundle: its workflow interceptors are whatever it was built with. */
  prebuiltBundle: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Interceptors and sinks for Worker.create. */
export function workerInstrumentation(opts: WorkerInstrumentationOptions): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const tracing = workerTracing(opts.env ?? process.env);
  return {
    interceptors: {
      activity: [(ctx) => ({ inbound: new StepMetricsInterceptor(ctx) }), ...tracing.activity],
      // Given with a bundle, Temporal would only warn that it ignores them.
      ...(opts.prebuiltBundle ? {} : { workflowModules: [...WORKFLOW_INTERCEPTOR_MODULES] }),
    },
    sinks: tracing.sinks,
  };
}
