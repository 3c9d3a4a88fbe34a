/**
 * The circuit breakers a deployment's running steps are behind: each running step's heartbeat
 * names its provider (the step runner puts it there), and the state store every worker shares
 * says how that provider's breaker stands. Only breakers that are not closed are reported.
 */
import { breakerJson } from '../resilience/describe';
import type { BreakerState, ProviderHealth } from '../api/resilience';
import type { StateStore } from '../state';
import { withLocalStateStore } from './local-store';
import type { DeploymentStatus } from './status';

export type ProviderBreaker = ReturnType<typeof breakerJson> & {
  /** This deployment's running services that call it. */
  services: string[];
};

/** The providers named by running steps, with the services calling each. */
export function providersInUse(status: Pick<DeploymentStatus, 'services'>): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const [name, s] of Object.entries(status.services)) {
    if (s.provider) used.set(s.provider, [...(used.get(s.provider) ?? []), name]);
  }
  return used;
}

export async function providerBreakers(
  status: Pick<DeploymentStatus, 'services'>,
  store: Pick<StateStore, 'getProviderHealth'>,
): Promise<ProviderBreaker[]> {
  const breakers: ProviderBreaker[] = [];
  for (const [provider, services] of providersInUse(status)) {
    const health = await store.getProviderHealth(provider);
    if (health && health.breaker.state !== 'closed') breakers.push(breakerOf(health, services));
  }
  return breakers;
}

/**
 * The status with `providers` filled in from the store TUGBOAT_STATE names, opened only when a
 * running step names a provider. A store that cannot be read leaves them out: status is still status.
 */
export async function withProviderBreakers(
  status: DeploymentStatus,
  withStore: <T>(use: (store: StateStore) => Promise<T>) => Promise<T> = withLocalStateStore,
): Promise<DeploymentStatus> {
  if (providersInUse(status).size === 0) return { ...status, providers: [] };
  try {
    return { ...status, providers: await withStore((store) => providerBreakers(status, store)) };
  } catch {
    return status;
  }
}

function breakerOf(h: ProviderHealth, services: string[]): ProviderBreaker {
  return { ...breakerJson(h), services };
}
