/** Plan output for `tugboat plan`: a text view for people and a small JSON view for scripts. */
import { UNASSIGNED_EXECUTOR, type Manifest } from '../manifest/schema';
import { computeCriticalPath } from './critical-path';
import type { LearnedHistory } from './learned-durations';
import type { Plan } from './types';

export interface PlanJson {
  services: number;
  waves: string[][];
  critical_path: string[];
  critical_path_ms: number;
  serial_sum_ms: number;
  /** Only when the environment has history: durations learned from past runs, and the critical path they give. */
  learned?: {
    deployments: number;
    duration_ms: Record<string, number>;
    runs: Record<string, number>;
    critical_path: string[];
    critical_path_ms: number;
  };
}

export function planToJson(plan: Plan, history?: LearnedHistory): PlanJson {
  const json: PlanJson = {
    services: plan.order.length,
    waves: plan.waves.map((wave) => [...wave]),
    critical_path: [...plan.criticalPath],
    critical_path_ms: plan.criticalPathMs,
    serial_sum_ms: plan.serialSumMs,
  };
  const learned = learnedCriticalPath(plan, history);
  if (history && learned) {
    const known = plan.order.filter((name) => history.services[name]);
    json.learned = {
      deployments: history.deployments,
      duration_ms: Object.fromEntries(known.map((name) => [name, history.services[name].ms])),
      runs: Object.fromEntries(known.map((name) => [name, history.services[name].runs])),
      critical_path: learned.criticalPath,
      critical_path_ms: learned.criticalPathMs,
    };
  }
  return json;
}

/**
 * The critical path with each service weighed by its learned duration; a service with no history
 * keeps its planned weight. Undefined when no service of the plan has history.
 */
export function learnedCriticalPath(plan: Plan, history: LearnedHistory | undefined): { criticalPath: string[]; criticalPathMs: number } | undefined {
  if (!history || !plan.order.some((name) => history.services[name])) return undefined;
  const durationMs = Object.fromEntries(plan.order.map((name) => [name, history.services[name]?.ms ?? plan.durationMs[name]]));
  const { criticalPath, criticalPathMs } = computeCriticalPath(plan.order, plan.dependents, durationMs);
  return { criticalPath, criticalPathMs };
}

/** 450ms, 1.5s, 2m 30s, 1h 5m. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`;
  return seconds > 0 ? `${minutes}m ${seconds}s` : `${minutes}m`;
}

/** The failure policy, bake window and notifications, when the manifest sets them (else nothing: output as before). */
function operatorTerms(deployment: Manifest['deployment']): string {
  const terms: string[] = [];
  const onFailure = deployment.strategy.on_failure;
  if (onFailure && onFailure !== 'rollback') terms.push(`on failure ${onFailure}`);
  if (deployment.strategy.bake !== undefined) terms.push(`bake ${deployment.strategy.bake}`);
  if ((deployment.notify ?? []).length > 0) terms.push(`${plural(deployment.notify.length, 'notification webhook')}`);
  return terms.length > 0 ? `; ${terms.join('; ')}` : '';
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** `history`: durations learned from the environment's past runs; without it (or with none for these services) the output is as before. */
export function renderPlan(manifest: Manifest, plan: Plan, history?: LearnedHistory): string {
  const { deployment } = manifest;
  const services = deployment.services;
  const timed = services.filter((service) => service.simulate !== undefined).length;
  // Without simulate durations every service weighs 1, so lengths are counted in services.
  const cost = (ms: number) => (timed === 0 ? plural(ms, 'service') : formatMs(ms));
  const typeOf = new Map(services.map((service) => [service.name, service.type]));
  const approvalOf = new Map(services.map((service) => [service.name, service.approval]));
  const nameWidth = Math.max(...plan.order.map((name) => name.length));
  const typeWidth = Math.max(...services.map((service) => service.type.length));
  // Which executor does the work: defaulted from the type unless the manifest named one.
  const executorOf = new Map(services.map((service) => [service.name, service.executor === UNASSIGNED_EXECUTOR ? 'no executor yet' : service.executor]));
  const executorWidth = Math.max(...[...executorOf.values()].map((name) => name.length));
  const learned = learnedCriticalPath(plan, history);
  const learnedOf = (name: string) => {
    const s = history?.services[name];
    return s ? `learned ${formatMs(s.ms)}` : 'no history';
  };
  const learnedWidth = learned ? Math.max(...plan.order.map((name) => learnedOf(name).length)) : 0;

  const lines = [
    `Deployment ${deployment.name} (environment ${deployment.environment})`,
    `Strategy: ${deployment.strategy.execution}, up to ${deployment.strategy.max_parallel} at once; rollback ${deployment.rollback_strategy}${operatorTerms(deployment)}`,
    `${plural(plan.order.length, 'service')} in ${plural(plan.waves.length, 'wave')}`,
  ];
  if (timed > 0 && timed < services.length) lines.push('(services without a simulate block count as 1ms)');
  plan.waves.forEach((wave, index) => {
    lines.push('', `Wave ${index + 1}`);
    for (const name of wave) {
      const deps = plan.dependencies[name];
      const after = deps.length === 0 ? 'no dependencies' : `after ${deps.join(', ')}`;
      const duration = timed === 0 ? '' : `${formatMs(plan.durationMs[name])}  `;
      const executor = (executorOf.get(name) ?? '').padEnd(executorWidth);
      const fromHistory = learned ? `${learnedOf(name).padEnd(learnedWidth)}  ` : '';
      const approval = approvalOf.get(name);
      const gate = approval?.required ? `  (approval required, ${approval.timeout})` : '';
      lines.push(`  ${name.padEnd(nameWidth)}  ${(typeOf.get(name) ?? '').padEnd(typeWidth)}  ${executor}  ${duration}${fromHistory}${after}${gate}`);
    }
  });
  lines.push(
    '',
    `Critical path: ${plan.criticalPath.join(' → ')} (${cost(plan.criticalPathMs)})`,
    `Serial sum ${cost(plan.serialSumMs)}; lower bound with unlimited parallelism ${cost(plan.criticalPathMs)}`,
  );
  if (deployment.health_checks.length > 0) {
    lines.push(`Health checks: ${deployment.health_checks.map((check) => check.endpoint).join(', ')}`);
  }
  if (history && learned) {
    const missing = plan.order.filter((name) => !history.services[name]);
    lines.push(
      '',
      `Learned from ${plural(history.deployments, 'past deployment')} of ${deployment.name}/${deployment.environment} (each service: median of its last successful runs)`,
      `Critical path: ${learned.criticalPath.join(' → ')} (ETA ${formatMs(learned.criticalPathMs)})`,
    );
    if (missing.length > 0) lines.push(`No history yet for ${missing.join(', ')}: ${timed === 0 ? 'counted as 1ms each' : 'weighed as planned'}`);
  }
  return lines.join('\n');
}
