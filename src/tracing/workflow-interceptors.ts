/**
 * Temporal's OpenTelemetry workflow interceptors, in every Tugboat workflow bundle, switched on per
 * workflow run and only for a run whose starter traced it (its trace context arrived in the start
 * headers: the CLI with OTEL_EXPORTER_OTLP_ENDPOINT set, or a traced parent workflow).
 *
 * Why not simply add them when tracing is on: they add awaits around signals, updates and
 * activities, so a history recorded without them fails to replay with them (nondeterminism, seen on
 * this project's own operator histories), and the other way round. Here the decision is part of the
 * history: a traced run records a patch marker before its first command and every replay of it
 * instruments alike; an untraced run (and every run from before this module) never calls the
 * interceptors and issues exactly the commands it always did. Whether a worker exports the spans is
 * its own setting (the `exporter` sink, src/tracing/index.ts), which changes no workflow code.
 *
 * Runs in the sandbox: @temporalio/workflow and the interceptors package's workflow side only.
 */
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import {
  patched,
  type Next,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
  type WorkflowInternalsInterceptor,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/** patched() ID: this run is traced (recorded only by runs started with a trace context). */
export const PATCH_WORKFLOW_TRACING = 'otel-workflow-tracing-v1';

const INBOUND = ['handleSignal', 'handleUpdate', 'validateUpdate', 'handleQuery'] as const;
const OUTBOUND = [
  'scheduleActivity',
  'scheduleLocalActivity',
  'startNexusOperation',
  'startChildWorkflowExecution',
  'continueAsNew',
  'signalWorkflow',
  'getLogAttributes',
  'getMetricTags',
] as const;

type Method = (input: unknown, next: (input: unknown) => unknown) => unknown;

export const interceptors = (): WorkflowInterceptors => {
  // Built at the first traced call: an untraced run never creates a tracer.
  let otel: { inbound: OpenTelemetryInboundInterceptor; outbound: OpenTelemetryOutboundInterceptor; internals: OpenTelemetryInternalsInterceptor } | undefined;
  let traced = false;
  const tracing = () =>
    (otel ??= {
      inbound: new OpenTelemetryInboundInterceptor(),
      outbound: new OpenTelemetryOutboundInterceptor(),
      internals: new OpenTelemetryInternalsInterceptor(),
    });
  /** `name` of the OpenTelemetry interceptor when this run is traced, else straight to `next`. */
  const gated = (pick: (o: NonNullable<typeof otel>) => object, name: string): Method => (input, next) =>
    traced ? ((pick(tracing()) as Record<string, Method>)[name]).call(pick(tracing()), input, next) : next(input);

  const inbound: WorkflowInboundCallsInterceptor = Object.fromEntries(INBOUND.map((name) => [name, gated((o) => o.inbound, name)]));
  inbound.execute = (input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) => {
    traced = input.headers[TRACE_HEADER] !== undefined && patched(PATCH_WORKFLOW_TRACING);
    return traced ? tracing().inbound.execute(input, next) : next(input);
  };
  const outbound: WorkflowOutboundCallsInterceptor = Object.fromEntries(OUTBOUND.map((name) => [name, gated((o) => o.outbound, name)]));
  const internals: WorkflowInternalsInterceptor = {
    dispose: (input, next) => (otel ? otel.internals.dispose(input, next) : next(input)),
  };
  return { inbound: [inbound], outbound: [outbound], internals: [internals] };
};
