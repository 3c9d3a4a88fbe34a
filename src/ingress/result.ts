/**
 * The aggregated result of a Redis task (IngressResult): built by the task workflow from its
 * deployment's result, or by the ingress itself for a task it could not start (malformed, invalid
 * manifest). Pure, no Node modules: the workflow sandbox imports it.
 */
import type { IngressResult, IngressStatus } from '../api/ingress';
import type { DeploymentResult } from '../api/progress';

/** SUCCEEDED (every service succeeded or was already up to date) → completed; PARTIAL → partial; anything else failed. */
export function statusOfPhase(phase: string): IngressStatus {
  if (phase === 'SUCCEEDED') return 'completed';
  if (phase === 'PARTIAL') return 'partial';
  return 'failed';
}

export interface DeploymentTarget {
  name: string;
  environment: string;
  /** The deployment's workflow ID (the environment lock). */
  workflowId: string;
}

/** The result of a task whose deployment ran: per service its state, outputs and error. */
export function resultOfDeployment(taskId: string, target: DeploymentTarget, deployment: DeploymentResult, finishedAt: string): IngressResult {
  const status = statusOfPhase(deployment.phase);
  const services: IngressResult['services'] = {};
  for (const [name, s] of Object.entries(deployment.services)) {
    services[name] = {
      state: s.state,
      outputs: s.outputs ?? {},
      ...(s.error ? { error: `${s.error.step ? `${s.error.step}: ` : ''}${s.error.message}` } : {}),
    };
  }
  // PARTIAL lists its failed services; after a rollback, the failed ones are those that carry an error.
  const failed = deployment.failed ?? Object.keys(services).filter((n) => services[n].state === 'FAILED' || services[n].error !== undefined);
  const skipped = deployment.skipped ?? Object.keys(services).filter((n) => services[n].state === 'SKIPPED');
  return {
    id: taskId,
    status,
    summary: summaryOf(status, target, deployment, failed, skipped),
    deploymentId: deployment.deploymentId,
    workflowId: target.workflowId,
    phase: deployment.phase,
    services,
    failed,
    ...(skipped.length > 0 ? { skipped } : {}),
    ...(status !== 'completed' && deployment.error ? { error: deployment.error } : {}),
    finishedAt,
  };
}

function summaryOf(status: IngressStatus, target: DeploymentTarget, d: DeploymentResult, failed: string[], skipped: string[]): string {
  const where = `${target.name}/${target.environment}`;
  const states = Object.values(d.services).map((s) => s.state);
  const count = (state: string) => states.filter((s) => s === state).length;
  if (status === 'completed') {
    const unchanged = count('UNCHANGED');
    return `deployed ${where}: ${states.length} service(s) up${unchanged > 0 ? ` (${unchanged} already up to date)` : ''} (deployment ${d.deploymentId})`;
  }
  const names = (label: string, list: string[]) => (list.length > 0 ? `; ${label}: ${list.join(', ')}` : '');
  if (status === 'partial') {
    return `${where} partly deployed: ${count('SUCCEEDED') + count('UNCHANGED')} of ${states.length} service(s) up${names('failed', failed)}${names('skipped', skipped)} (deployment ${d.deploymentId})`;
  }
  return `${where} ${d.phase}${d.error ? `: ${d.error}` : ''}${names('failed', failed)} (deployment ${d.deploymentId})`;
}

/** A task that never became a deployment (malformed, invalid manifest, environment locked…). */
export function failedResult(taskId: string, error: string, finishedAt: string, extra: Partial<IngressResult> = {}): IngressResult {
  return { id: taskId, status: 'failed', summary: `task ${taskId} failed: ${firstLine(error)}`, services: {}, failed: [], ...extra, error, finishedAt };
}

function firstLine(text: string): string {
  const [first, ...rest] = text.split('\n');
  return rest.length > 0 ? `${first} (+${rest.length} more)` : first;
}

/**
 * A task whose own workflow was cancelled (not its deployment): the deployment it started was
 * abandoned, not stopped, so nothing is claimed about how it ended.
 */
export function cancelledTaskResult(taskId: string, deployment: { deploymentId: string; workflowId: string }, finishedAt: string): IngressResult {
  const { deploymentId, workflowId } = deployment;
  return failedResult(
    taskId,
    `the task was cancelled before its deployment ended; deployment ${deploymentId} (workflow ${workflowId}) may still be running ` +
      `and is not reported here: see \`tugboat status ${deploymentId}\``,
    finishedAt,
    { deploymentId, workflowId },
  );
}
