/**
 * Plan-time checks of output references in configs: a service may only read outputs of services it
 * (transitively) depends on, since only those are guaranteed to have finished before it starts.
 */
import { formatPath, type ManifestIssue } from '../manifest/errors';
import { REFERENCE_SYNTAX, scanExpressions } from '../manifest/references';
import type { ServiceSpec } from '../manifest/schema';
import { didYouMeanSuffix } from '../manifest/suggest';
import type { Graph } from './dag';

/** Why `service` may not read `target`'s output, or undefined when it may. */
function referenceProblem(
  service: string,
  target: string,
  output: string,
  names: readonly string[],
  upstream: Graph,
): string | undefined {
  const reference = `services.${target}.outputs.${output}`;
  if (!names.includes(target)) {
    const others = names.filter((name) => name !== service);
    const hint = didYouMeanSuffix(target, others) || `; services are ${others.join(', ')}`;
    return `references ${reference}, but there is no service ${JSON.stringify(target)}${hint}`;
  }
  if (target === service) {
    return `references ${reference}, its own output; a service cannot read what it has not produced yet`;
  }
  if (!(upstream[service] ?? []).includes(target)) {
    return (
      `references ${reference}, but ${target} is not among ${service}'s dependencies; ` +
      `add ${target} to ${service}.dependencies`
    );
  }
  return undefined;
}

/** Every malformed expression and every reference to something other than an upstream service. */
export function referenceIssues(
  services: readonly Pick<ServiceSpec, 'name' | 'config'>[],
  upstream: Graph,
): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const names = services.map((service) => service.name);
  services.forEach((service, index) => {
    const base = formatPath(['deployment', 'services', index]);
    for (const { expression, path, reference } of scanExpressions(service.config)) {
      const message = reference
        ? referenceProblem(service.name, reference.service, reference.output, names, upstream)
        : `${JSON.stringify(expression)} is not a reference; write ${REFERENCE_SYNTAX}`;
      if (message) issues.push({ path: `${base}.${path}`, message });
    }
  });
  return issues;
}
