/**
 * Wire and state types of the simulated cloud, shared by its server, its client, the simulated
 * executor and the tests. Everything here is plain JSON: it is what crosses HTTP and what the
 * state file holds.
 */

import { SERVICE_TYPES, type ServiceType } from '../api/service-types';

/** The manifest's service types: the cloud accepts exactly what a manifest may declare. */
export const SIM_SERVICE_TYPES = SERVICE_TYPES;
export type SimServiceType = ServiceType;

export type ResourceKind =
  | 'vpc'
  | 'database'
  | 'stack'
  | 'cluster'
  | 'deployment'
  | 'dashboard'
  | 'container'
  | 'job'
  | 'endpoint';

export interface Resource {
  /** `<kind>-<6 hex digits of createdSeq>`, e.g. `vpc-0001a2`. */
  id: string;
  kind: string;
  service: string;
  deploymentId: string;
  version: string | null;
  /** Global sequence number at which the resource was (first) created. */
  createdSeq: number;
}

/** The current state of one service in the simulated cloud. */
export interface ServiceRecord {
  service: string;
  deploymentId: string;
  version: string | null;
  outputs: Record<string, string>;
  resources: Resource[];
  healthy: boolean;
  /** The configuration the last apply sent (references already resolved by Tugboat). */
  config?: unknown;
  /** When the apply that produced this state completed (the cloud's clock, epoch ms). */
  appliedAt?: number;
  /** The apply's `unhealthy_after_ms`: the service goes unhealthy this long after `appliedAt`. */
  unhealthyAfterMs?: number;
}

/** A service's state as it was before an apply: what a `restore` compensation puts back. */
export interface PreviousState {
  version: string | null;
  outputs: Record<string, string>;
  resources: Resource[];
  /** The deployment that owned that state (optional when sent back in a compensate request). */
  deploymentId?: string;
}

export const MUTATING_OPS = ['apply', 'verify', 'compensate'] as const;
export type MutatingOp = (typeof MUTATING_OPS)[number];
/** Holds block requests of one operation on one service. */
export type HoldOp = MutatingOp;

export type CallOutcome =
  | 'created'
  | 'updated'
  | 'repeat'
  | 'verified'
  | 'unhealthy'
  | 'deleted'
  | 'restored'
  | 'retained'
  | 'noop'
  | 'transient_error'
  | 'permanent_error';

/** One mutating call as the cloud saw it. `completedSeq`/`outcome` are null while it is in flight. */
export interface CallRecord {
  seq: number;
  completedSeq: number | null;
  op: MutatingOp;
  service: string;
  deploymentId: string;
  idempotencyKey: string;
  outcome: CallOutcome | null;
  detail?: string;
}

export interface ApplySimulation {
  /** Time the side effect takes (after any hold). */
  duration_ms?: number;
  /** The first N attempts with this idempotency key answer 503. */
  fail_transient?: number;
  /** Every attempt answers 422. */
  fail_permanent?: boolean;
  /** The service answers unhealthy (health and verify) once this long has passed since the apply completed. */
  unhealthy_after_ms?: number;
}

export interface ApplyRequest {
  service: string;
  deploymentId: string;
  type: SimServiceType;
  version?: string;
  config?: unknown;
  idempotencyKey: string;
  simulate?: ApplySimulation;
}

export type ApplyOutcome = 'created' | 'updated';

export interface ApplyResult {
  /** `repeat` when this idempotency key had already completed; `firstOutcome` then says what it did. */
  outcome: ApplyOutcome | 'repeat';
  firstOutcome: ApplyOutcome;
  /** Arrival and completion of the call that did the work (for a repeat: the original call). */
  seq: number;
  completedSeq: number;
  version: string | null;
  resources: Resource[];
  outputs: Record<string, string>;
  /** The service's state just before this apply (null: it did not exist) — what a rollback restores. */
  previous: PreviousState | null;
}

export interface VerifyRequest {
  service: string;
  deploymentId: string;
  idempotencyKey: string;
  /** `unhealthy_after_ms` replaces the one the apply recorded (both measured from the apply's completion). */
  simulate?: { unhealthy_probes?: number; unhealthy_after_ms?: number };
}

export interface VerifyResult {
  healthy: boolean;
  outcome: 'verified' | 'unhealthy';
  version: string | null;
  seq: number;
  completedSeq: number;
  /** Why it is unhealthy, when the cloud knows (not deployed, still converging, gone bad). */
  detail?: string;
}

export const COMPENSATE_ACTIONS = ['delete', 'restore', 'retain'] as const;
export type CompensateAction = (typeof COMPENSATE_ACTIONS)[number];

export interface CompensateRequest {
  service: string;
  deploymentId: string;
  idempotencyKey: string;
  action: CompensateAction;
  /** For `restore`: the state to put back; null/absent means the service did not exist (so: delete it). */
  previous?: PreviousState | null;
  simulate?: { fail_compensation?: boolean };
}

export type CompensateOutcome = 'deleted' | 'restored' | 'retained' | 'noop';

export interface CompensateResult {
  outcome: CompensateOutcome | 'repeat';
  firstOutcome: CompensateOutcome;
  action: CompensateAction;
  seq: number;
  completedSeq: number;
  /** The service's record after the compensation (null: absent). */
  record: ServiceRecord | null;
}

export interface ServiceHealth {
  status: 'healthy' | 'unhealthy' | 'absent';
  version?: string | null;
  /** Why it is unhealthy. */
  detail?: string;
}

export interface HoldInfo {
  service: string;
  op: HoldOp;
  /** Requests blocked on this hold right now. */
  waiting: number;
}

/** Per-service faults set by tests; each field present replaces what callers ask for. */
export interface FaultOverride {
  fail_compensation?: boolean;
  fail_permanent?: boolean;
  fail_transient?: number;
  /** The first N verify probes of a deployment's service answer unhealthy (a service still converging). */
  unhealthy_probes?: number;
  /** The service answers unhealthy once this long has passed since its apply completed (0: at once). */
  unhealthy_after_ms?: number;
}

export interface ErrorBody {
  error: { code: string; message: string; retryable: boolean };
}

export interface IdempotencyEntry {
  /** Present once the operation with this key completed. */
  result?: ApplyResult | CompensateResult;
  /** Transient failures (or unhealthy probes) already injected for this key (so `fail_transient: N` fails exactly N times). */
  transientFailures: number;
}

/** Everything the cloud remembers; the state file is this object as JSON. */
export interface SimCloudState {
  format: 1;
  seq: number;
  services: Record<string, ServiceRecord>;
  resources: Resource[];
  calls: CallRecord[];
  /** Keyed by `<op>/<service>/<idempotencyKey>`, so keys only need to be unique per op and service. */
  idempotency: Record<string, IdempotencyEntry>;
  overrides: Record<string, FaultOverride>;
}

export interface StartSimCloudOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** JSON state file; omitted: state lives in memory only. */
  stateFile?: string;
  log?: (line: string) => void;
  /** The cloud's clock (epoch ms), for `unhealthy_after`; tests inject one instead of sleeping. */
  now?: () => number;
}

export interface RunningSimCloud {
  url: string;
  port: number;
  /** Fails held requests, closes sockets and flushes state. */
  close(): Promise<void>;
}
