/** Small helpers the scenarios share. */
import { validateManifestOrThrow } from '../../src/manifest/validate';
import { planOrThrow, type Plan } from '../../src/plan';
import type { DeployOutcome, Figure, Target } from '../lib/types';

export function figure(key: string, label: string, value: number, unit: string, target?: Target, note?: string): Figure {
  return { key, label, value, unit, ...(target ? { target } : {}), ...(note ? { note } : {}) };
}

export function planOf(raw: unknown): Plan {
  return planOrThrow(validateManifestOrThrow(raw));
}

/** A figure from a failed deployment would measure the failure, not the coordinator: stop the scenario. */
export function expectSucceeded(outcome: DeployOutcome, what: string): void {
  if (outcome.phase !== 'SUCCEEDED') {
    throw new Error(`${what} (${outcome.handle.workflowId}, run ${outcome.runId}) ended ${outcome.phase}, not SUCCEEDED`);
  }
}

/** What scenario 4 and 8 look for in an earlier scenario's details to reuse its deployment. */
export interface DeploymentRef {
  workflowId: string;
  runId: string;
  services: number;
  wallMs: number;
}

export function deploymentRef(outcome: DeployOutcome, services: number): DeploymentRef {
  return { workflowId: outcome.handle.workflowId, runId: outcome.runId, services, wallMs: outcome.wallMs };
}

export const MB = 1024 * 1024;
