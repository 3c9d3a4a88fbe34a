/**
 * What a deployment reports about itself: returned by the `progress` and `health` queries,
 * rendered by `tugboat status`, the same data the Web UI shows. Plain data, no imports, so the
 * workflow sandbox, the worker and the CLI can all share it.
 */

/** A service's life: PENDING → WAITING → RUNNING → SUCCEEDED | FAILED; SKIPPED when a dependency failed. */
export type ServiceState = 'PENDING' | 'WAITING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'SKIPPED' | 'CANCELLED';

export const TERMINAL_SERVICE_STATES: readonly ServiceState[] = ['SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED'];

/** The deployment's phase, also the `TugboatPhase` search attribute. */
export type DeploymentPhase = 'VALIDATING' | 'DEPLOYING' | 'HEALTH_CHECKING' | 'SUCCEEDED' | 'FAILED';

export const TERMINAL_PHASES: readonly DeploymentPhase[] = ['SUCCEEDED', 'FAILED'];

export interface ResourceRef {
  id: string;
  kind: string;
}

export interface ServiceError {
  /** The failure type the executor classified, e.g. "PermanentDeployError". */
  type: string;
  message: string;
  /** The step that failed: apply or verify. */
  step?: string;
}

export interface ServiceProgress {
  name: string;
  type: string;
  state: ServiceState;
  wave: number;
  dependencies: string[];
  version?: string;
  /** ISO-8601 times from the workflow clock. */
  startedAt?: string;
  endedAt?: string;
  outputs: Record<string, string>;
  resources: ResourceRef[];
  error?: ServiceError;
  /** The child workflow running it, once started. */
  workflowId?: string;
}

export interface HealthResult {
  target: string;
  healthy: boolean;
  status?: number;
  detail?: string;
  checkedAt: string;
  attempts?: number;
}

export interface HealthReport {
  /** Per service: the verify step's result. */
  services: Record<string, HealthResult>;
  /** The manifest's `health_checks`, run after every service succeeded. */
  deployment: HealthResult[];
}

export interface DeploymentProgress {
  deploymentId: string;
  name: string;
  environment: string;
  phase: DeploymentPhase;
  execution: 'eager' | 'waves';
  maxParallel: number;
  startedAt: string;
  endedAt?: string;
  waves: string[][];
  criticalPath: string[];
  services: Record<string, ServiceProgress>;
  /** Why the deployment failed, naming the service. */
  error?: string;
}

/** What deploymentWorkflow returns. */
export interface DeploymentResult {
  deploymentId: string;
  phase: DeploymentPhase;
  services: Record<string, { state: ServiceState; outputs: Record<string, string>; error?: ServiceError }>;
  error?: string;
}
