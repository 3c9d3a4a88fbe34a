/**
 * Identity of a deployment. The workflow ID names the environment (and so is its lock); the
 * deployment ID names one run and sorts by time, so records, child workflows and idempotency keys
 * of run #2 never collide with run #1.
 */
import { randomBytes } from 'node:crypto';

/**
 * `deploy-<name>.<environment>`: the environment's lock.
 *
 * Names and environments are DNS-label-like (lowercase letters, digits and "-", see NAME_PATTERN
 * in the manifest schema), so they can never contain a ".": the dot splits the ID in exactly one
 * place and no two (name, environment) pairs share an ID. The old `deploy-<name>-<environment>`
 * used "-", which names do contain: `shop-api`→`prod` and `shop`→`api-prod` were the same lock.
 * A dot also needs no quoting in a shell, no escaping in a Web UI URL, and reads as a qualified
 * name. (Child workflow IDs are `<deploymentId>.<service>`, but they start with `dep-<digits>`,
 * never `deploy-`, so the two never meet.)
 */
export function environmentWorkflowId(name: string, environment: string): string {
  return `deploy-${name}.${environment}`;
}

/**
 * The ID deployments were started under before the dot: ambiguous (see above), so whoever looks a
 * deployment up by it must check that it really is this name and environment.
 */
export function legacyEnvironmentWorkflowId(name: string, environment: string): string {
  return `deploy-${name}-${environment}`;
}

/** dep-20261123T183012345Z-k3f9q2: UTC time to the millisecond, then randomness. */
export function newDeploymentId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  const suffix = randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(-6);
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
