/**
 * Which provider a service's calls go to: the key its circuit breaker and retry budget are shared
 * under. The manifest's `resilience.provider` wins; then the executor's own answer (a host, a
 * cluster); then the executor's name (one provider for all its services).
 */
import type { ResilienceSpec, ServiceSpec } from '../manifest/schema';
import type { Executor } from '../executors/types';

export function providerOf(
  service: ServiceSpec,
  executor: Pick<Executor, 'provider'> | undefined,
  deployment?: ResilienceSpec,
): string {
  const named = service.resilience?.provider ?? deployment?.provider;
  if (named) return named;
  try {
    return executor?.provider?.(service) || service.executor;
  } catch {
    // A config the executor cannot read fails the step on its own, with the executor's words.
    return service.executor;
  }
}

/** `<kind>:<host>:<port>` of an http(s) URL (the port spelled out, default or not); undefined if it is not one. */
export function hostProvider(kind: string, url: string): string | undefined {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return `${kind}:${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    return undefined;
  }
}

/**
 * A Kubernetes cluster as far as it is known without reading files: the kubeconfig context the
 * service names, else the worker's KUBECONFIG (its current context), else the default kubeconfig.
 */
export function kubernetesProvider(context: string | undefined, env: NodeJS.ProcessEnv): string {
  if (context) return `kubernetes:context=${context}`;
  return env.KUBECONFIG ? `kubernetes:${env.KUBECONFIG}` : 'kubernetes';
}
