/**
 * Identity of a deployment. The workflow ID names the environment (and so is its lock); the
 * deployment ID names one run and sorts by time, so records, child workflows and idempotency keys
 * of run #2 never collide with run #1.
 */
import { randomBytes } from 'node:crypto';

export function environmentWorkflowId(name: string, environment: string): string {
  return `deploy-${name}-${environment}`;
}

/** dep-20261123T183012345Z-k3f9q2: UTC time to the millisecond, then randomness. */
export function newDeploymentId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  const suffix = randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(-6);
  return `dep-${stamp}-${suffix}`.toLowerCase();
}

export const DEPLOYMENT_ID_PATTERN = /^dep-\d{8}t\d{9}z-[0-9a-z]{6}$/;
