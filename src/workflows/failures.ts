/**
 * Turns a failure from a child or an activity into the small record progress shows. The
 * executor classified it (transient or permanent); here we only read what it said: the first
 * ApplicationFailure down the ChildWorkflowFailure → ActivityFailure → … chain.
 */
import { ApplicationFailure, TemporalFailure } from '@temporalio/workflow';
import type { ServiceError } from '../api/progress';

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
