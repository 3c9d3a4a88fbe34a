/** The executor's view of which deployment a step belongs to, from what the workflow passed. */
import type { DeploymentScope } from '../api/workflow-types';
import type { DeploymentRef } from '../executors/types';

/**
 * Runs started before the workflow passed a scope have none: their services all ran on the
 * simulated cloud, which keys nothing by name or environment, and relative paths start at the
 * worker's working directory.
 */
export function deploymentRef(deploymentId: string, scope: DeploymentScope | undefined): DeploymentRef {
  return {
    id: deploymentId,
    name: scope?.name ?? 'unknown',
    environment: scope?.environment ?? 'unknown',
    baseDir: scope?.baseDir ?? process.cwd(),
  };
}
