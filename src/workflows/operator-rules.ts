/**
 * When an operator's request makes sense. Pure: the update validators use these to refuse with a
 * reason (a refused update changes nothing and leaves no trace in history); the signal handlers
 * use them to ignore, recording why.
 */
import type { ContinueRollbackInput, ServiceRequestInput } from '../api/messages';
import type { BlockedCompensation, DeploymentPhase, ServiceState, StopTrigger } from '../api/progress';

export interface RequestContext {
  phase: DeploymentPhase;
  /** What already stopped the deployment, if anything. */
  stopped?: StopTrigger;
  /** Manual rollback strategy, after a failure: waiting for rollback or accept. */
  awaitingDecision: boolean;
  /** A decision was taken and is about to be acted on. */
  decided: boolean;
  /** A continue_rollback request is queued and not yet acted on. */
  continuePending: boolean;
  blocked: BlockedCompensation[];
  /** An operator paused it. */
  paused: boolean;
  /** on_failure: halt, after a failure: waiting for retry_service, rollback or accept. */
  halted: boolean;
  /** Every service's state now. */
  services: Record<string, ServiceState>;
  /** Gated services with an approve / reject accepted and not yet acted on. */
  decidedApprovals: string[];
}

const FINAL: readonly DeploymentPhase[] = ['SUCCEEDED', 'PARTIAL', 'ROLLED_BACK', 'CANCELLED'];

/** Where the forward phase runs: services may start (or wait to). */
const DEPLOYING: readonly DeploymentPhase[] = ['DEPLOYING', 'PAUSED', 'HALTED'];

/** Why a cancel or rollback request is refused now, or undefined when it is accepted. */
export function stopRefusal(kind: 'cancel' | 'rollback', ctx: RequestContext): string | undefined {
  if (FINAL.includes(ctx.phase)) return `the deployment already ended ${ctx.phase}`;
  if (ctx.decided) return 'a decision was already taken for this failed deployment';
  if (ctx.awaitingDecision) return undefined;
  if (ctx.stopped === 'failure') return `the deployment failed and is already rolling back (phase ${ctx.phase})`;
  if (ctx.stopped === 'cancel') return `a cancel was already accepted; the deployment is rolling back (phase ${ctx.phase})`;
  if (ctx.stopped === 'rollback') return `a rollback was already accepted (phase ${ctx.phase})`;
  if (ctx.phase === 'FAILED') return 'the deployment already ended FAILED';
  if (ctx.phase === 'ROLLING_BACK' || ctx.phase === 'ROLLBACK_BLOCKED') {
    // on_failure: rollback-subgraph is undoing the failed service; the rest stays by policy.
    return `the failed service is being undone (on_failure: rollback-subgraph, phase ${ctx.phase}); once the deployment ends PARTIAL, roll the rest back with tugboat rollback <deployment>`;
  }
  return kind === 'cancel' || kind === 'rollback' ? undefined : `unknown request ${kind}`;
}

export function acceptRefusal(ctx: RequestContext): string | undefined {
  if (ctx.decided) return 'a decision was already taken for this failed deployment';
  if (ctx.awaitingDecision || (ctx.halted && ctx.stopped === undefined)) return undefined;
  return (
    'accept only applies to a HALTED deployment (on_failure: halt) or a failed one held by ' +
    `rollback_strategy: manual; this one is ${ctx.phase}`
  );
}

/** Why the deployment is no longer deploying (so pause, approve… make no sense), or undefined. */
function notDeploying(ctx: RequestContext): string | undefined {
  if (FINAL.includes(ctx.phase)) return `the deployment already ended ${ctx.phase}`;
  if (ctx.stopped !== undefined || ctx.awaitingDecision) return `the deployment is stopping (phase ${ctx.phase})`;
  if (!DEPLOYING.includes(ctx.phase)) return `services are no longer being deployed (phase ${ctx.phase})`;
  return undefined;
}

export function pauseRefusal(ctx: RequestContext): string | undefined {
  const stopped = notDeploying(ctx);
  if (stopped) return `${stopped}; there is nothing to pause`;
  if (ctx.paused) return 'the deployment is already paused; resume it with `tugboat resume`';
  if (ctx.halted) return 'the deployment is HALTED, so nothing starts anyway: retry, rollback or accept it';
  return undefined;
}

export function resumeRefusal(ctx: RequestContext): string | undefined {
  if (!ctx.paused) return `the deployment is not paused (phase ${ctx.phase})`;
  return undefined;
}

/** The service named by an approve / reject / retry_service request, or why the name is no good. */
function namedService(input: ServiceRequestInput | undefined, ctx: RequestContext): { service?: string; refusal?: string } {
  const service = (input as { service?: unknown } | undefined)?.service;
  if (service === undefined) return {};
  if (typeof service !== 'string' || service.length === 0) return { refusal: 'service must be a service name (a string)' };
  // Own names only: "constructor" or "toString" is not a service because every object has one.
  if (!Object.hasOwn(ctx.services, service)) {
    // Quoted cut short: a signal's payload is whatever was typed, and the refusal is kept in progress.
    const shown = service.length > 63 ? `${service.slice(0, 63)}…` : service;
    return { refusal: `no service named "${shown}"; the services are ${Object.keys(ctx.services).join(', ')}` };
  }
  return { service };
}

export function approvalRefusal(kind: 'approve' | 'reject', input: ServiceRequestInput | undefined, ctx: RequestContext): string | undefined {
  const { service, refusal } = namedService(input, ctx);
  if (refusal) return refusal;
  const waiting = Object.keys(ctx.services).filter((s) => ctx.services[s] === 'AWAITING_APPROVAL');
  const which = waiting.length > 0 ? `; awaiting approval: ${waiting.join(', ')}` : '; no service is awaiting approval';
  if (service === undefined) return `say which service to ${kind}: {"service": "<name>"}${which}`;
  const stopped = notDeploying(ctx);
  if (stopped) return stopped;
  if (ctx.services[service] !== 'AWAITING_APPROVAL') return `${service} is not awaiting approval (it is ${ctx.services[service]})${which}`;
  if (ctx.decidedApprovals.includes(service)) return `${service} was already approved or rejected; the decision is being acted on`;
  return undefined;
}

/** States a retry re-runs: FAILED, and CANCELLED when a manual-strategy stop cancelled it. */
const RETRYABLE: readonly ServiceState[] = ['FAILED', 'CANCELLED'];

export function retryRefusal(input: ServiceRequestInput | undefined, ctx: RequestContext): string | undefined {
  const { service, refusal } = namedService(input, ctx);
  if (refusal) return refusal;
  if (ctx.decided) return 'a decision was already taken for this failed deployment';
  if (!(ctx.awaitingDecision || (ctx.halted && ctx.stopped === undefined))) {
    return (
      'retry applies to a HALTED deployment (on_failure: halt) or a failed one held by rollback_strategy: manual; ' +
      `this one is ${ctx.phase}`
    );
  }
  const failed = Object.keys(ctx.services).filter((s) => RETRYABLE.includes(ctx.services[s]));
  if (service !== undefined && !failed.includes(service)) {
    return `${service} has not failed (it is ${ctx.services[service]}); failed: ${failed.join(', ') || 'none'}`;
  }
  if (failed.length === 0) return 'no failed service to retry';
  return undefined;
}

export function continueRollbackRefusal(input: ContinueRollbackInput | undefined, ctx: RequestContext): string | undefined {
  if (ctx.phase !== 'ROLLBACK_BLOCKED') return `nothing to continue: the rollback is not blocked (phase ${ctx.phase})`;
  if (ctx.continuePending) return 'a continue_rollback request is already being acted on';
  const retry = input?.retry === true;
  if (input?.skip !== undefined && (!Array.isArray(input.skip) || input.skip.some((id) => typeof id !== 'string'))) {
    return 'skip must be a list of resource IDs or service names';
  }
  const skip = input?.skip ?? [];
  if (retry === skip.length > 0) return 'say either retry: true or skip: [resource IDs or service names], not both or neither';
  const known = new Set(ctx.blocked.flatMap((b) => [b.service, ...b.resources.map((r) => r.id)]));
  const unknown = skip.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    // The first few, each cut short: a skip list is whatever was typed, and the refusal goes back through Temporal.
    const shown = unknown.slice(0, 5).map((id) => (id.length > 63 ? `${id.slice(0, 63)}…` : id));
    const more = unknown.length > shown.length ? ` and ${unknown.length - shown.length} more` : '';
    return `not blocked: ${shown.join(', ')}${more}; blocked are ${[...known].join(', ')}`;
  }
  const partial = ctx.blocked.filter(
    (b) => !skip.includes(b.service) && b.resources.some((r) => skip.includes(r.id)) && servicesReleasedBySkip(skip, [b]).length === 0,
  );
  if (partial.length > 0) {
    const missing = partial.flatMap((b) => b.resources.filter((r) => !skip.includes(r.id)).map((r) => r.id));
    return `skipping only part of ${partial.map((b) => b.service).join(', ')} would leave it blocked; also skip ${missing.join(', ')} (or name the service)`;
  }
  return undefined;
}

/** The blocked services an operator's skip list releases: all their resources (or the service) named. */
export function servicesReleasedBySkip(skip: readonly string[], blocked: readonly BlockedCompensation[]): string[] {
  const named = new Set(skip);
  return blocked
    .filter((b) => named.has(b.service) || (b.resources.length > 0 && b.resources.every((r) => named.has(r.id))))
    .map((b) => b.service);
}
