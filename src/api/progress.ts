/**
 * What a deployment reports about itself: returned by the `progress` and `health` queries,
 * rendered by `tugboat status`, the same data the Web UI shows. Plain data, no imports, so the
 * workflow sandbox, the worker and the CLI can all share it.
 */

/**
 * A service's life: PENDING → WAITING → (AWAITING_APPROVAL →) RUNNING → SUCCEEDED | UNCHANGED |
 * FAILED | CANCELLED; SKIPPED when it never started. On rollback: ROLLING_BACK → ROLLED_BACK |
 * RETAINED, or ROLLBACK_BLOCKED until an operator continues the rollback.
 */
export type ServiceState =
  | 'PENDING'
  | 'WAITING'
  | 'AWAITING_APPROVAL'
  | 'UNCHANGED'
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'SKIPPED'
  | 'CANCELLED'
  | 'ROLLING_BACK'
  | 'ROLLED_BACK'
  | 'RETAINED'
  | 'ROLLBACK_BLOCKED';

/**
 * The deployment's phase, also the `TugboatPhase` search attribute. FAILED is final, except under
 * `rollback_strategy: manual`, where it holds the lock until an operator says `rollback` or `accept`.
 */
export type DeploymentPhase =
  | 'VALIDATING'
  | 'DEPLOYING'
  /** An operator paused it: nothing new starts, running services finish. */
  | 'PAUSED'
  /** on_failure: halt, after a failure: waits for retry_service, rollback or accept. */
  | 'HALTED'
  | 'HEALTH_CHECKING'
  /** strategy.bake: every service succeeded; health is watched before it counts as done. */
  | 'BAKING'
  | 'SUCCEEDED'
  /** Some services succeeded, others failed or were skipped (on_failure continue, or an accepted halt). */
  | 'PARTIAL'
  | 'FAILED'
  | 'ROLLING_BACK'
  | 'ROLLBACK_BLOCKED'
  | 'ROLLED_BACK'
  | 'CANCELLED';

/** What asked the deployment to stop, and so which phase it ends in. */
export type StopTrigger = 'failure' | 'cancel' | 'rollback';

/** An operator's request, as progress records it (who, why, through which door, what came of it). */
export type OperatorRequestKind =
  | 'cancel'
  | 'rollback'
  | 'accept'
  | 'continue_rollback'
  | 'pause'
  | 'resume'
  | 'approve'
  | 'reject'
  | 'retry_service';

export interface OperatorRequest {
  kind: OperatorRequestKind;
  /** The service it was about (approve, reject, retry_service). */
  service?: string;
  by?: string;
  reason?: string;
  via: 'signal' | 'update' | 'temporal-cancel';
  at: string;
  /** acted on, or ignored (a signal that made no sense at the time; updates are refused instead). */
  outcome: 'accepted' | 'ignored';
  note?: string;
}

/** A compensation that failed after its retries: the rollback waits for `continue_rollback`. */
export interface BlockedCompensation {
  service: string;
  resources: ResourceRef[];
  error: string;
}

export interface RollbackProgress {
  state: 'RUNNING' | 'BLOCKED' | 'DONE';
  trigger: StopTrigger;
  reason: string;
  /** Services in the order their compensations completed (reverse dependency order); kept ones are in `retained`. */
  order: string[];
  blocked: BlockedCompensation[];
}

export interface RetainedResource extends ResourceRef {
  service: string;
  /**
   * on_rollback: retain; skipped by an operator in continue_rollback; or kept because a retained
   * service depends on it (a retained database keeps its network).
   */
  why: 'on_rollback: retain' | 'skipped by operator' | `needed by ${string}`;
}

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
  /** Per step that ended (apply, verify, compensate): attempts spent and the last failure. */
  steps?: ServiceSteps;
}

export type ServiceSteps = Partial<Record<'apply' | 'verify' | 'compensate', StepAttempts>>;

/**
 * How many of a step's attempts were spent and why the last failed one failed. Returned with a
 * step's result and carried (as the failure's first detail) by its final failure, so `progress`
 * keeps it after the step ended. Attempts a worker shutdown interrupted are not spent.
 */
export interface StepAttempts {
  attempts: number;
  lastFailure?: string;
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
  /** Where the rollback manifest (each service's previous state) is stored. */
  rollbackManifest?: string;
  /** Where the deployment record (how it ended) is stored, once it ended. */
  record?: string;
  rollback?: RollbackProgress;
  /** Resources this deployment created that the rollback could not remove (checked against the live inventory). */
  orphans: Array<ResourceRef & { service: string }>;
  /** Set when the live inventory could not be checked: orphans are unknown. */
  orphanCheckError?: string;
  /** Services whose live resources cannot be listed (no inventory command): neither orphaned nor clean. */
  unverifiable?: Array<{ service: string; reason: string }>;
  retained: RetainedResource[];
  requests: OperatorRequest[];
  /** Refused requests beyond the first MAX_IGNORED_REQUESTS, counted but not kept (history stays bounded). */
  ignoredRequestsNotRecorded?: number;
  /** Accepted requests beyond the first MAX_ACCEPTED_REQUESTS, counted but not kept. */
  acceptedRequestsNotRecorded?: number;
  /** Under rollback_strategy manual, after a failure: waiting for `rollback` or `accept`. */
  awaitingDecision?: boolean;
  /** strategy.on_failure in force (absent from runs before failure policies: rollback). */
  onFailure?: string;
  /** Set while paused: who asked and why. */
  paused?: { by?: string; reason?: string; at: string };
  /** Per gated service, its approval requests, the newest last. */
  approvals?: Record<string, ApprovalRequest[]>;
  bake?: BakeProgress;
  notifications?: NotificationSent[];
  /** A PARTIAL deployment's failed and skipped services. */
  failed?: string[];
  skipped?: string[];
}

/** One approval request of a gated service (a rejection under on_reject: halt opens a new one). */
export interface ApprovalRequest {
  requestedAt: string;
  /** When it times out and `on_timeout` decides. */
  deadline: string;
  outcome?: 'approved' | 'rejected' | 'timed-out-approved' | 'timed-out-rejected';
  by?: string;
  reason?: string;
  decidedAt?: string;
  /** When the escalation notice (notify_before) was sent. */
  escalatedAt?: string;
}

/** A notification the deployment sent (or tried to): receivers being down never fails it. */
export interface NotificationSent {
  event: string;
  webhook: string;
  at: string;
  delivered: boolean;
  detail?: string;
}

export interface BakeProgress {
  state: 'RUNNING' | 'PASSED' | 'FAILED' | 'INTERRUPTED';
  startedAt: string;
  /** When the window closes. */
  until: string;
  /** Health probes run so far (heartbeated), and why it failed. */
  checks?: number;
  detail?: string;
}

/** What deploymentWorkflow returns. */
export interface DeploymentResult {
  deploymentId: string;
  phase: DeploymentPhase;
  services: Record<string, { state: ServiceState; outputs: Record<string, string>; error?: ServiceError }>;
  error?: string;
  rollback?: RollbackProgress;
  orphans: Array<ResourceRef & { service: string }>;
  retained: RetainedResource[];
  /** PARTIAL: which services failed, and which were skipped because of them. */
  failed?: string[];
  skipped?: string[];
}
