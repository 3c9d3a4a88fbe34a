/**
 * When an operator's request makes sense. Pure: the update validators use these to refuse with a
 * reason (a refused update changes nothing and leaves no trace in history); the signal handlers
 * use them to ignore, recording why.
 */
import type { ContinueRollbackInput } from '../api/messages';
import type { BlockedCompensation, DeploymentPhase, StopTrigger } from '../api/progress';

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
}

const FINAL: readonly DeploymentPhase[] = ['SUCCEEDED', 'ROLLED_BACK', 'CANCELLED'];

/** Why a cancel or rollback request is refused now, or undefined when it is accepted. */
export function stopRefusal(kind: 'cancel' | 'rollback', ctx: RequestContext): string | undefined {
  if (FINAL.includes(ctx.phase)) return `the deployment already ended ${ctx.phase}`;
  if (ctx.decided) return 'a decision was already taken for this failed deployment';
  if (ctx.awaitingDecision) return undefined;
  if (ctx.stopped === 'failure') return `the deployment failed and is already rolling back (phase ${ctx.phase})`;
  if (ctx.stopped === 'cancel') return `a cancel was already accepted; the deployment is rolling back (phase ${ctx.phase})`;
  if (ctx.stopped === 'rollback') return `a rollback was already accepted (phase ${ctx.phase})`;
  if (ctx.phase === 'FAILED') return 'the deployment already ended FAILED';
  return kind === 'cancel' || kind === 'rollback' ? undefined : `unknown request ${kind}`;
}

export function acceptRefusal(ctx: RequestContext): string | undefined {
  if (ctx.decided) return 'a decision was already taken for this failed deployment';
  if (ctx.awaitingDecision) return undefined;
  return 'accept only applies to a failed deployment with rollback_strategy: manual that is waiting for a decision';
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
    return `not blocked: ${unknown.join(', ')}; blocked are ${[...known].join(', ')}`;
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
