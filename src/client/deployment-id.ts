/**
 * Identity of a deployment. The workflow ID names the environment (and so is its lock); the
 * deployment ID names one run and sorts by time, so records, child workflows and idempotency keys
 * of run #2 never collide with run #1.
 */
import { createHash, randomBytes } from 'node:crypto';

// Pure, so workflow code (the ingress's task workflow) computes the lock's ID the same way.
export { environmentWorkflowId, legacyEnvironmentWorkflowId } from '../api/workflow-ids';

/**
 * dep-20261123T183012345Z-k3f9q2: UTC time to the millisecond, then randomness — or, given a
 * `seed` (the Redis ingress passes the task ID), the seed's hash, so the deployment names its task.
 */
export function newDeploymentId(now: Date = new Date(), seed?: string): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  const bytes = seed === undefined ? randomBytes(4) : createHash('sha256').update(seed).digest();
  const suffix = bytes.readUInt32BE(0).toString(36).padStart(6, '0').slice(-6);
  return `dep-${stamp}-${suffix}`.toLowerCase();
}

export const DEPLOYMENT_ID_PATTERN = /^dep-\d{8}t\d{9}z-[0-9a-z]{6}$/;

/**
 * What a CLI argument names: one deployment (`dep-…`), an environment (`<name>/<environment>`, i.e.
 * its latest deployment), or neither (undefined). Shape only: names are not checked here.
 */
export type DeploymentRef = { deploymentId: string } | { name: string; environment: string };

export function parseDeploymentRef(ref: string): DeploymentRef | undefined {
  const trimmed = ref.trim();
  if (DEPLOYMENT_ID_PATTERN.test(trimmed)) return { deploymentId: trimmed };
  const [name, environment, ...rest] = trimmed.split('/');
  if (!name || !environment || rest.length > 0) return undefined;
  return { name, environment };
}
