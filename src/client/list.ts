/**
 * Running and recent deployments through Temporal visibility: Tugboat's search attributes
 * (TugboatDeployment, TugboatEnvironment, TugboatPhase) and the workflow ID deploy-<name>.<environment>.
 * What `tugboat list` prints; the same query works in the Web UI and `temporal workflow list`.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { DeploymentPhase } from '../api/progress';
import { TUGBOAT_DEPLOYMENT, TUGBOAT_ENVIRONMENT, TUGBOAT_PHASE } from '../api/search-attributes';
import { NAME_PATTERN } from '../manifest/schema';
import { SearchAttributesMissingError, serverReason, unknownSearchAttributeIn } from './search-attributes-errors';

/** Every DeploymentPhase (the object's keys are checked against the type both ways). */
const PHASE_SET = {
  VALIDATING: true,
  DEPLOYING: true,
  PAUSED: true,
  HALTED: true,
  HEALTH_CHECKING: true,
  BAKING: true,
  SUCCEEDED: true,
  PARTIAL: true,
  FAILED: true,
  ROLLING_BACK: true,
  ROLLBACK_BLOCKED: true,
  ROLLED_BACK: true,
  CANCELLED: true,
} as const satisfies Record<DeploymentPhase, true>;
export const DEPLOYMENT_PHASES = Object.keys(PHASE_SET) as DeploymentPhase[];

/** Phases a deployment leaves by itself: a closed workflow still showing one stopped abnormally (terminated, timed out). */
const IN_FLIGHT_PHASES: ReadonlySet<string> = new Set(['VALIDATING', 'DEPLOYING', 'PAUSED', 'HALTED', 'HEALTH_CHECKING', 'BAKING', 'ROLLING_BACK']);

export interface ListFilter {
  environment?: string;
  phase?: string;
  name?: string;
}

/** A filter value that cannot be a name, environment or phase: the message names the flag and the fix. */
export class ListFilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListFilterError';
  }
}

/** The phase as DeploymentPhase spells it (any case accepted), or a ListFilterError listing them all. */
export function parsePhase(value: string): DeploymentPhase {
  const phase = value.trim().toUpperCase().replace(/-/g, '_');
  if ((DEPLOYMENT_PHASES as string[]).includes(phase)) return phase as DeploymentPhase;
  throw new ListFilterError(`--phase ${JSON.stringify(value)} is not a deployment phase; use one of ${DEPLOYMENT_PHASES.join(', ')}`);
}

function checkName(flag: string, value: string): string {
  if (NAME_PATTERN.test(value) && value.length <= 63) return value;
  const why = /['"\\]/.test(value) ? 'quotes and backslashes are not allowed' : 'it is not a manifest name';
  throw new ListFilterError(
    `${flag} ${JSON.stringify(value)}: ${why}; use lowercase letters, digits and "-" as in the manifest (e.g. ${flag === '--name' ? 'ecommerce-app' : 'production'})`,
  );
}

/** A visibility string literal. Values are checked before they get here; escaping is the second guard. */
function literal(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The visibility query for a filter: Tugboat deployments only (child service workflows carry no
 * TugboatDeployment), narrowed by environment, phase and name. Throws ListFilterError for a value
 * that is not a manifest name or a phase.
 */
export function listQuery(filter: ListFilter = {}): string {
  const clauses = [`${TUGBOAT_DEPLOYMENT.name} IS NOT NULL`];
  if (filter.environment !== undefined) clauses.push(`${TUGBOAT_ENVIRONMENT.name} = ${literal(checkName('--environment', filter.environment))}`);
  if (filter.phase !== undefined) clauses.push(`${TUGBOAT_PHASE.name} = ${literal(parsePhase(filter.phase))}`);
  // The workflow ID is deploy-<name>.<environment> and names hold no ".": the prefix is exactly this name.
  if (filter.name !== undefined) clauses.push(`WorkflowId STARTS_WITH ${literal(`deploy-${checkName('--name', filter.name)}.`)}`);
  return clauses.join(' AND ');
}

/** One deployment in `tugboat list --json`. */
export interface ListedDeployment {
  id: string;
  name: string | null;
  environment: string | null;
  /** TugboatPhase as the workflow last set it. */
  phase: string | null;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, … */
  status: string;
  running: boolean;
  workflow_id: string;
  run_id: string;
  started_at: string;
  ended_at: string | null;
  /** Until the end, or until now while it runs. */
  duration_ms: number;
}

/** The fields of a listed execution this reads (a WorkflowExecutionInfo fits). */
export type ListedExecution = Pick<WorkflowExecutionInfo, 'workflowId' | 'runId' | 'startTime' | 'closeTime' | 'typedSearchAttributes'> & {
  status: { name: string };
};

export function listedDeployment(wf: ListedExecution, now: Date = new Date()): ListedDeployment {
  const environment = wf.typedSearchAttributes.get(TUGBOAT_ENVIRONMENT) ?? null;
  const running = wf.status.name === 'RUNNING';
  const end = wf.closeTime ?? (running ? now : undefined);
  return {
    id: wf.typedSearchAttributes.get(TUGBOAT_DEPLOYMENT) ?? wf.workflowId,
    name: nameFromWorkflowId(wf.workflowId, environment),
    environment,
    phase: wf.typedSearchAttributes.get(TUGBOAT_PHASE) ?? null,
    status: wf.status.name,
    running,
    workflow_id: wf.workflowId,
    run_id: wf.runId,
    started_at: wf.startTime.toISOString(),
    ended_at: wf.closeTime ? wf.closeTime.toISOString() : null,
    duration_ms: end ? Math.max(0, end.getTime() - wf.startTime.getTime()) : 0,
  };
}

/** deploy-<name>.<environment>, or the older deploy-<name>-<environment> when the environment is known. */
function nameFromWorkflowId(workflowId: string, environment: string | null): string | null {
  const dotted = /^deploy-([a-z0-9-]+)\.([a-z0-9-]+)$/.exec(workflowId);
  if (dotted) return dotted[1];
  const legacySuffix = environment ? `-${environment}` : undefined;
  if (legacySuffix && workflowId.startsWith('deploy-') && workflowId.endsWith(legacySuffix)) {
    return workflowId.slice('deploy-'.length, -legacySuffix.length) || null;
  }
  return null;
}

/** Whether the phase a closed workflow shows is one it would have left had it ended by itself. */
export function stoppedAbnormally(d: Pick<ListedDeployment, 'running' | 'phase'>): boolean {
  return !d.running && (d.phase === null || IN_FLIGHT_PHASES.has(d.phase));
}

/**
 * Up to `limit` deployments matching the filter, as visibility orders them (running ones first,
 * then by close time, newest first). Visibility is eventually consistent: a deployment started a
 * moment ago, or a phase just changed, may show a second later.
 */
export async function listDeployments(client: Client, filter: ListFilter, limit: number): Promise<ListedDeployment[]> {
  const query = listQuery(filter);
  const listed: ListedDeployment[] = [];
  try {
    for await (const wf of client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
      listed.push(listedDeployment(wf));
      if (listed.length >= limit) break;
    }
  } catch (err) {
    const unknown = unknownSearchAttributeIn(err);
    if (unknown) {
      throw new SearchAttributesMissingError(client.options.namespace, [unknown], `the server refused the query ${query}: ${serverReason(err)}`, true);
    }
    throw err;
  }
  return listed;
}
