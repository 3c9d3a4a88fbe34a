/** Ordering shared by every state store backend. */
import type { DeploymentRecord } from './types';

/** Newest first: by start time, then by deployment ID (time-sortable), so ties order the same everywhere. */
export function newestFirst(records: DeploymentRecord[]): DeploymentRecord[] {
  return [...records].sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.deploymentId.localeCompare(a.deploymentId));
}
