/**
 * Turns a failure from a child or an activity into the small record progress shows. The
 * executor classified it (transient or permanent); here we only read what it said: the first
 * ApplicationFailure down the ChildWorkflowFailure → ActivityFailure → … chain.
 */
import { ApplicationFailure, TemporalFailure } from '@temporalio/workflow';
import type { ServiceError, ServiceSteps, StepAttempts } from '../api/progress';
import { isRecord } from '../manifest/references';

export function describeFailure(err: unknown): ServiceError {
  let current: unknown = err;
  let step: string | undefined;
  while (current instanceof TemporalFailure) {
    if (current instanceof ApplicationFailure) {
      return { type: current.type ?? 'Error', message: current.message, step };
    }
    const activityType = (current as { activityType?: string }).activityType;
    if (activityType) step = activityType.replace(/Service$/, '');
    if (!current.cause) break;
    current = current.cause;
  }
  if (current instanceof Error) return { type: current.name, message: current.message, step };
  return { type: 'Error', message: String(current), step };
}

/**
 * The attempts a failed step spent, from the failure chain: the step runner puts a StepAttempts
 * in its final failure's details, the service workflow puts every step's (`{ steps }`) in an
 * unhealthy failure's. Undefined when the failure carries none (older runs, other errors).
 */
export function stepsOfFailure(err: unknown): ServiceSteps | undefined {
  let current: unknown = err;
  let step: keyof ServiceSteps | undefined;
  while (current instanceof TemporalFailure) {
    if (current instanceof ApplicationFailure) {
      const detail: unknown = current.details?.[0];
      if (isRecord(detail) && isRecord(detail.steps)) return detail.steps as ServiceSteps;
      if (step && isStepAttempts(detail)) return { [step]: detail };
      return undefined;
    }
    const activityType = (current as { activityType?: string }).activityType;
    if (activityType === 'applyService') step = 'apply';
    else if (activityType === 'verifyService') step = 'verify';
    else if (activityType === 'compensateService') step = 'compensate';
    current = current.cause;
  }
  return undefined;
}

function isStepAttempts(value: unknown): value is StepAttempts {
  return isRecord(value) && typeof value.attempts === 'number';
}
