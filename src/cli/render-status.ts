/** `tugboat status` as text: one line per service, wave by wave, then the rollback's story. */
import type { DeploymentStatus, ServiceStatus } from '../client/status';
import type { ProviderBreaker } from '../client/provider-breakers';
import { describeBreaker } from '../resilience/describe';
import { describeService, oneLine } from './watch';

export function renderStatus(status: DeploymentStatus, now: number = Date.now()): string {
  const lines = [
    `${status.name} → ${status.environment}   ${status.phase}   ${status.id}`,
    `workflow ${status.workflow_id}, started ${status.started_at}${status.ended_at ? `, ended ${status.ended_at}` : ''}`,
  ];
  status.waves.forEach((wave, i) => {
    lines.push(`wave ${i + 1}`);
    for (const name of wave) lines.push(`  ${name.padEnd(22)} ${describeService(status.services[name])}${retriesNote(status.services[name])}`);
  });
  for (const p of status.providers ?? []) lines.push(breakerLine(p, now));
  if (status.paused) lines.push(`paused${status.paused.by ? ` by ${status.paused.by}` : ''}${status.paused.reason ? `: ${status.paused.reason}` : ''} (since ${status.paused.at})`);
  for (const [service, requests] of Object.entries(status.approvals ?? {})) {
    const last = requests[requests.length - 1];
    const outcome = last.outcome ? `${last.outcome}${last.by ? ` by ${last.by}` : ''}${last.reason ? `: ${last.reason}` : ''}` : `open until ${last.deadline}`;
    lines.push(`approval ${service}: ${outcome}${requests.length > 1 ? ` (request ${requests.length})` : ''}`);
  }
  if (status.bake) lines.push(`bake ${status.bake.state} until ${status.bake.until}${status.bake.detail ? `: ${oneLine(status.bake.detail)}` : ''}`);
  if (status.failed.length > 0) lines.push(`failed: ${status.failed.join(', ')}${status.skipped.length > 0 ? `; skipped: ${status.skipped.join(', ')}` : ''}`);
  const undelivered = status.notifications.filter((n) => !n.delivered);
  if (undelivered.length > 0) lines.push(`notifications not delivered: ${undelivered.map((n) => `${n.event} → ${n.webhook} (${n.detail ?? 'no detail'})`).join('; ')}`);
  // The error in full: a tool's stderr tail, indented under it.
  if (status.error) lines.push(`error: ${status.error.trim().replace(/\n/g, '\n  ')}`);
  if (status.rollback) {
    const r = status.rollback;
    lines.push(`rollback ${r.state} (${oneLine(r.reason)}); undone in order: ${r.order.join(' → ') || '(nothing yet)'}`);
    for (const b of r.blocked) {
      lines.push(`  BLOCKED ${b.service} [${b.resources.map((x) => x.id).join(', ')}]: ${oneLine(b.error)}`);
    }
  }
  if (status.retained.length > 0) {
    lines.push(`retained: ${status.retained.map((r) => `${r.id} (${r.service}, ${r.why})`).join(', ')}`);
  }
  if (status.rollback?.state === 'DONE' || status.orphans.length > 0) {
    lines.push(status.orphans.length === 0 ? 'orphans: none (checked against the live inventory)' : `ORPHANS: ${status.orphans.map((o) => `${o.id} (${o.service})`).join(', ')}`);
  }
  for (const u of status.unverifiable ?? []) lines.push(`UNVERIFIABLE: ${u.service} (${u.reason})`);
  if (status.orphan_check_error) lines.push(`ORPHANS UNKNOWN: ${status.orphan_check_error}`);
  if (status.rollback_manifest) lines.push(`rollback manifest: ${status.rollback_manifest}`);
  if (status.record) lines.push(`deployment record: ${status.record}`);
  lines.push(...nextSteps(status));
  return lines.join('\n');
}

/** What an operator can do now, spelled out. */
export function nextSteps(status: DeploymentStatus): string[] {
  if (status.phase === 'ROLLBACK_BLOCKED') {
    const ids = status.rollback?.blocked.flatMap((b) => b.resources.map((r) => r.id)) ?? [];
    return [
      'the rollback is blocked. Fix the cause, then:',
      `  tugboat continue-rollback ${status.id} --retry`,
      `  or give up on resources (reported as retained): tugboat continue-rollback ${status.id} --skip ${ids.join(' ') || '<service>'}`,
    ];
  }
  if (status.awaiting_decision) {
    return [
      'failed; rollback_strategy is manual, so the deployment waits (and holds the environment lock):',
      `  tugboat retry ${status.id}       run what did not succeed again (after fixing the cause)`,
      `  tugboat rollback ${status.id}    undo what was deployed`,
      `  tugboat accept ${status.id}      keep it and end FAILED`,
    ];
  }
  if (status.phase === 'HALTED') {
    return [
      'halted (on_failure: halt): nothing new starts; what succeeded stays. Then:',
      `  tugboat retry ${status.id} [--service <name>]   run the failed services again (after fixing the cause)`,
      `  tugboat rollback ${status.id}                    undo what was deployed`,
      `  tugboat accept ${status.id}                      keep what succeeded and end PARTIAL`,
    ];
  }
  const waiting = Object.entries(status.services).filter(([, s]) => s.state === 'AWAITING_APPROVAL').map(([name]) => name);
  const steps = waiting.map((name) => `awaiting approval: tugboat approve ${status.id} --service ${name}   (or reject)`);
  if (status.phase === 'PAUSED') steps.push(`paused: tugboat resume ${status.id}`);
  return steps;
}

/** `provider simulated:127.0.0.1:4780 (a, b): circuit breaker OPEN since … after 2 consecutive transient failures; …` */
export function breakerLine(p: ProviderBreaker, now: number): string {
  const breaker = describeBreaker(
    {
      state: p.state,
      consecutiveFailures: p.consecutive_failures,
      ...(p.opened_at ? { openedAt: p.opened_at } : {}),
      ...(p.retry_at ? { retryAt: p.retry_at } : {}),
      ...(p.probe_since ? { probeKey: 'in flight', probeSince: p.probe_since } : {}),
    },
    now,
  );
  return `provider ${p.provider} (${p.services.join(', ')}): circuit breaker ${breaker}`;
}

/** Steps that needed more than one attempt, e.g. "  [apply: 2 attempts]"; a RETRYING line already says so. */
export function retriesNote(s: ServiceStatus): string {
  if (s.state === 'RETRYING') return '';
  const retried = Object.entries(s.steps)
    .filter(([, step]) => step && step.attempts > 1)
    .map(([name, step]) => `${name}: ${step!.attempts} attempts`);
  return retried.length > 0 ? `  [${retried.join(', ')}]` : '';
}
