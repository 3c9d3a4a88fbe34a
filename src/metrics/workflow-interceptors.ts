/**
 * Workflow-side metrics, loaded into the workflow bundle as an interceptor module (so the workflow
 * files carry no metrics code): deployments started and ended by phase, and how long the rollback
 * took. Runs in the sandbox: imports only @temporalio/workflow and pure data. Workflow's
 * metricMeter emits nothing while replaying, so each event is counted once even when another
 * worker replays the history; durations use workflow time, the same on every replay.
 *
 * It schedules nothing and adds no await before the workflow's own code: bundles with and without
 * it replay the same histories.
 */
import {
  ContinueAsNew,
  isCancellation,
  metricMeter,
  TemporalFailure,
  workflowInfo,
  type ActivityInput,
  type Next,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import {
  COUNTED_WORKFLOWS,
  DEPLOYMENTS_STARTED_TOTAL,
  DEPLOYMENTS_TOTAL,
  ROLLBACK_DURATION_SECONDS,
  WORKFLOW_CANCELLED_PHASE,
  WORKFLOW_FAILED_PHASE,
} from './names';

export const interceptors = (): WorkflowInterceptors => {
  if (!COUNTED_WORKFLOWS.includes(workflowInfo().workflowType)) return {};
  const run = new DeploymentMetrics();
  return { inbound: [run], outbound: [run] };
};

class DeploymentMetrics implements WorkflowInboundCallsInterceptor, WorkflowOutboundCallsInterceptor {
  /** Workflow time of the first compensation scheduled: when undoing began. */
  private rollbackStartedAt: number | undefined;

  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    metricMeter.createCounter(DEPLOYMENTS_STARTED_TOTAL, undefined, 'Deployments (and rollbacks of a finished release) started').add(1);
    // A rollback of a finished release is a rollback from its start.
    if (workflowInfo().workflowType === 'rollbackReleaseWorkflow') this.rollbackStartedAt = Date.now();
    let phase: string;
    try {
      const result = await next(input);
      phase = phaseOf(result) ?? 'UNKNOWN';
      this.ended(phase);
      return result;
    } catch (err) {
      if (err instanceof ContinueAsNew) throw err; // the next run counts itself
      // Anything but a Temporal failure fails the workflow task, not the run: it is retried, so it has not ended.
      if (!(err instanceof TemporalFailure)) throw err;
      // A deployment that did not succeed fails (or is cancelled) with its result as the first detail.
      phase = phaseOf(detailOf(err)) ?? (isCancellation(err) ? WORKFLOW_CANCELLED_PHASE : WORKFLOW_FAILED_PHASE);
      this.ended(phase);
      throw err;
    }
  }

  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
    if (input.activityType === 'compensateService') this.rollbackStartedAt ??= Date.now();
    return next(input);
  }

  private ended(phase: string): void {
    metricMeter.createCounter(DEPLOYMENTS_TOTAL, undefined, 'Deployments (and rollbacks of a finished release) ended, by phase').add(1, { phase });
    if (this.rollbackStartedAt === undefined) return;
    metricMeter
      .createHistogram(ROLLBACK_DURATION_SECONDS, 'float', 's', 'From the first compensation to the end of the rollback (workflow time)')
      .record((Date.now() - this.rollbackStartedAt) / 1000, { phase });
  }
}

function phaseOf(result: unknown): string | undefined {
  const phase = (result as { phase?: unknown } | undefined)?.phase;
  return typeof phase === 'string' ? phase : undefined;
}

function detailOf(err: unknown): unknown {
  const details = (err as { details?: unknown } | undefined)?.details;
  return Array.isArray(details) ? details[0] : undefined;
}
