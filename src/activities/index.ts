/**
 * Tugboat's activities: thin adapters from Temporal to executors. Created per worker with its
 * dependencies injected; the workflows import only the type.
 */
import type { ApplyOutcome, StepInput, VerifyOutcome } from '../api/workflow-types';
import type { ExecutorRegistry } from '../executors/registry';
import { checkEndpoint } from './health';
import { runStep } from './step-runner';

export interface ActivityDependencies {
  executors: ExecutorRegistry;
}

export function createActivities({ executors }: ActivityDependencies) {
  return {
    async applyService(input: StepInput): Promise<ApplyOutcome> {
      return runStep('apply', input, (ctx) => executors.get(input.service.executor).apply(ctx));
    },
    async verifyService(input: StepInput): Promise<VerifyOutcome> {
      return runStep('verify', input, (ctx) => executors.get(input.service.executor).verify(ctx));
    },
    checkEndpoint,
  };
}

export type TugboatActivities = ReturnType<typeof createActivities>;
