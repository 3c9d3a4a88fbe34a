/**
 * preflightWorkflow: runs the preflight activity on a worker of the deployment's task queue and
 * returns what it found. The client runs it before starting a deployment, so a missing binary or
 * secret is refused with every problem listed, before the environment is locked or anything touched.
 * (A workflow because the preflight must run where the steps will: on a worker.)
 */
import { proxyActivities } from '@temporalio/workflow';
import { ActivityCancellation } from './activity-options';
import type { TugboatActivities } from '../activities';
import type { PreflightInput, PreflightIssue } from '../activities/preflight';

export async function preflightWorkflow(input: PreflightInput): Promise<PreflightIssue[]> {
  const { preflightDeployment } = proxyActivities<TugboatActivities>({
    summary: `preflight ${input.deployment.name}/${input.deployment.environment}`,
    // Inside the client's 60 s deadline, so a slow worker is told apart from no worker.
    startToCloseTimeout: '45 seconds',
    cancellationType: ActivityCancellation.tryCancel,
    retry: { maximumAttempts: 2, initialInterval: '1 second' },
  });
  return preflightDeployment(input);
}
