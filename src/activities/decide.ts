/**
 * Validation and planning for a deployment started by hand (temporal CLI, Web UI) without the
 * client's decision in its input: done once, here, so the result is recorded in history and a
 * newer worker replaying the run never decides it again with newer rules.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../api/workflow-types';
import { formatIssues } from '../manifest/errors';
import type { Manifest } from '../manifest/schema';
import { validateManifest } from '../manifest/validate';
import { decidedPart, planDeployment, type DecidedPlan } from '../plan';

export async function decideDeployment(rawManifest: unknown): Promise<{ manifest: Manifest; plan: DecidedPlan }> {
  const validated = validateManifest(rawManifest);
  if (!validated.ok) throw invalid(formatIssues(validated.issues));
  const planned = planDeployment(validated.manifest);
  if (!planned.ok) throw invalid(formatIssues(planned.issues));
  return { manifest: validated.manifest, plan: decidedPart(planned.plan) };
}

function invalid(issues: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`invalid manifest:\n${issues}`, FailureTypes.manifest);
}
