/**
 * Times every attempt of a service step (apply, verify, compensate) and counts retries, through the
 * activity's own metric meter: the values land on the worker's Prometheus endpoint beside
 * Temporal's, with Temporal's activity_type, namespace and task_queue labels (the specialty queue)
 * added to Tugboat's executor, step and outcome. An interceptor, so the step runner and the
 * executors stay free of metrics code.
 */
import type { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { STEP_ACTIVITIES, STEP_DURATION_SECONDS, STEP_RETRIES_TOTAL } from './names';

/**
 * ok: the step returned. cancelled: the workflow cancelled it. handed_back: the worker stopped
 * during it (another worker continues it). failed: anything else (the workflow may retry it).
 */
export type StepOutcome = 'ok' | 'failed' | 'cancelled' | 'handed_back';

export class StepMetricsInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const step = STEP_ACTIVITIES[this.ctx.info.activityType];
    if (!step) return next(input);
    const labels = { executor: executorOf(input.args[0]), step };
    const meter = this.ctx.metricMeter;
    if (this.ctx.info.attempt > 1) {
      meter.createCounter(STEP_RETRIES_TOTAL, undefined, 'Service step attempts after the first').add(1, labels);
    }
    const started = performance.now();
    let outcome: StepOutcome = 'failed';
    try {
      const result = await next(input);
      outcome = 'ok';
      return result;
    } catch (err) {
      outcome = this.failedOutcome();
      throw err;
    } finally {
      meter
        .createHistogram(STEP_DURATION_SECONDS, 'float', 's', 'Duration of one attempt of a service step')
        .record((performance.now() - started) / 1000, { ...labels, outcome });
    }
  }

  private failedOutcome(): StepOutcome {
    if (!this.ctx.cancellationSignal.aborted) return 'failed';
    const details = this.ctx.cancellationDetails;
    if (details?.cancelRequested) return 'cancelled';
    if (details?.workerShutdown) return 'handed_back';
    return 'failed';
  }
}

/** Every step activity's first argument is a StepInput; its service's executor was filled in by validation. */
function executorOf(arg: unknown): string {
  const executor = (arg as { service?: { executor?: unknown } } | undefined)?.service?.executor;
  return typeof executor === 'string' && executor !== '' ? executor : 'unknown';
}
