/**
 * Validation and planning for a deployment started by hand (temporal CLI, Web UI) without the
 * client's decision in its input: done once, here, so the result is recorded in history and a
 * newer worker replaying the run never decides it again with newer rules. The client's own path
 * runs the same preflight before it starts a run; here it is part of deciding.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../api/workflow-types';
import { formatIssues } from '../manifest/errors';
import type { Manifest } from '../manifest/schema';
import { decidedPart, validateAndPlan, type DecidedPlan } from '../plan';
import { formatPreflightIssues, type PreflightInput, type PreflightIssue } from './preflight';

export interface DecideRun {
  deploymentId: string;
  baseDir?: string;
  preflight(input: PreflightInput): Promise<PreflightIssue[]>;
}

export async function decideDeployment(rawManifest: unknown, run?: DecideRun): Promise<{ manifest: Manifest; plan: DecidedPlan }> {
  const decided = validateAndPlan(rawManifest);
  if (!decided.ok) throw ApplicationFailure.nonRetryable(`invalid manifest:\n${formatIssues(decided.issues)}`, FailureTypes.manifest);
  if (run) {
    const { name, environment, services } = decided.manifest.deployment;
    const issues = await run.preflight({ deploymentId: run.deploymentId, deployment: { name, environment, baseDir: run.baseDir }, services });
    if (issues.length > 0) {
      throw ApplicationFailure.nonRetryable(`preflight failed, nothing was touched:\n${formatPreflightIssues(issues)}`, FailureTypes.manifest);
    }
  }
  return { manifest: decided.manifest, plan: decidedPart(decided.plan) };
}
