/**
 * Validation and planning for a deployment started by hand (temporal CLI, Web UI) without the
 * client's decision in its input: done once, here, so the result is recorded in history and a
 * newer worker replaying the run never decides it again with newer rules.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../api/workflow-types';
import { formatIssues } from '../manifest/errors';
import type { Manifest } from '../manifest/schema';
import { decidedPart, validateAndPlan, type DecidedPlan } from '../plan';

export async function decideDeployment(rawManifest: unknown): Promise<{ manifest: Manifest; plan: DecidedPlan }> {
  const decided = validateAndPlan(rawManifest);
  if (!decided.ok) throw ApplicationFailure.nonRetryable(`invalid manifest:\n${formatIssues(decided.issues)}`, FailureTypes.manifest);
  return { manifest: decided.manifest, plan: decidedPart(decided.plan) };
}
