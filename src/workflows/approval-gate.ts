/**
 * A service's approval gate (Spinnaker's manual judgment for one service): the service waits in
 * AWAITING_APPROVAL until an operator approves or rejects it, or the deadline passes and
 * `on_timeout` decides. Only its branch waits. `notify_before` escalates before the deadline.
 * Under `on_reject: halt` a rejection does not fail the service: its branch waits for a fix and
 * the gate opens a new request. One workflow timer per deadline (two with an escalation).
 */
import { condition } from '@temporalio/workflow';
import type { ApprovalRequest } from '../api/progress';
import { parseDuration, type ApprovalSpec } from '../manifest/schema';
import type { Notifier } from './notifier';
import type { ProgressTracker } from './progress-tracker';

export interface ApprovalDecision {
  decision: 'approve' | 'reject';
  by?: string;
  reason?: string;
}

export interface GateContext {
  tracker: ProgressTracker;
  notifier: Notifier;
  /** Decisions the operator handlers recorded, consumed by the gate. */
  decisions: Map<string, ApprovalDecision>;
  /** The deployment is stopping: stop waiting. */
  stopping(): boolean;
}

export type GateOutcome = { outcome: 'approved' } | { outcome: 'rejected'; message: string } | { outcome: 'stopped' };

export async function awaitApproval(ctx: GateContext, service: string, spec: ApprovalSpec): Promise<GateOutcome> {
  const timeoutMs = parseDuration(spec.timeout);
  const notifyBeforeMs = spec.notify_before === undefined ? 0 : Math.min(parseDuration(spec.notify_before), timeoutMs);
  for (;;) {
    const requestedAt = Date.now();
    const request: ApprovalRequest = { requestedAt: iso(requestedAt), deadline: iso(requestedAt + timeoutMs) };
    const requests = ((ctx.tracker.data.approvals ??= {})[service] ??= []);
    requests.push(request);
    ctx.tracker.setState(service, 'AWAITING_APPROVAL');
    ctx.notifier.send({
      event: 'approval_needed',
      service,
      text: `${service} in ${ctx.tracker.data.name}/${ctx.tracker.data.environment} awaits approval until ${request.deadline}: tugboat approve ${ctx.tracker.data.deploymentId} --service ${service}`,
      fields: { deadline: request.deadline },
    });

    const answered = () => ctx.decisions.has(service) || ctx.stopping();
    const escalates = notifyBeforeMs > 0 && notifyBeforeMs < timeoutMs;
    if (escalates) {
      if (!(await condition(answered, timeoutMs - notifyBeforeMs))) {
        request.escalatedAt = iso(Date.now());
        ctx.notifier.send({
          event: 'approval_escalation',
          service,
          text: `${service} in ${ctx.tracker.data.name}/${ctx.tracker.data.environment} still awaits approval; on ${request.deadline} it will be ${spec.on_timeout === 'approve' ? 'approved' : 'rejected'} automatically`,
          fields: { deadline: request.deadline, on_timeout: spec.on_timeout },
        });
      }
    }
    if (!answered()) await condition(answered, escalates ? notifyBeforeMs : timeoutMs);
    if (ctx.stopping() && !ctx.decisions.has(service)) return { outcome: 'stopped' };

    const decided = ctx.decisions.get(service);
    ctx.decisions.delete(service);
    const decision = decided?.decision ?? spec.on_timeout;
    Object.assign(request, {
      outcome: decided ? (decision === 'approve' ? 'approved' : 'rejected') : decision === 'approve' ? 'timed-out-approved' : 'timed-out-rejected',
      by: decided?.by,
      reason: decided?.reason,
      decidedAt: iso(Date.now()),
    } satisfies Partial<ApprovalRequest>);
    if (decision === 'approve') return { outcome: 'approved' };
    const why = decided
      ? `rejected${decided.by ? ` by ${decided.by}` : ''}${decided.reason ? `: ${decided.reason}` : ''}`
      : `not approved within ${spec.timeout} (on_timeout: reject)`;
    // A reviewer's rejection under on_reject: halt waits for a fix and asks again; a timeout does not.
    if (!(decided && spec.on_reject === 'halt')) return { outcome: 'rejected', message: why };
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
