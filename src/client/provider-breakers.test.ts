/** Which breakers `status` shows: those not closed, of the providers its running steps name. */
import type { ProviderHealth } from '../api/resilience';
import { providerBreakers, withProviderBreakers } from './provider-breakers';
import type { DeploymentStatus, ServiceStatus } from './status';

const health = (provider: string, breaker: ProviderHealth['breaker']): ProviderHealth => ({
  provider,
  breaker,
  budget: { windowStart: '2030-01-01T00:00:00.000Z', calls: 0, retries: 0, delayed: 0 },
  updatedAt: '2030-01-01T00:00:00.000Z',
});
const stored = new Map<string, ProviderHealth>([
  ['sim', health('sim', { state: 'open', consecutiveFailures: 2, openedAt: '2030-01-01T00:00:00.000Z', retryAt: '2030-01-01T00:00:02.000Z' })],
  ['fine', health('fine', { state: 'closed', consecutiveFailures: 0 })],
]);
const store = { getProviderHealth: async (p: string) => stored.get(p) };
const services = (providers: Record<string, string | null>) =>
  Object.fromEntries(Object.entries(providers).map(([name, provider]) => [name, { provider } as ServiceStatus]));

describe('providerBreakers', () => {
  it('reports the not-closed breakers of the providers running steps name, with the services behind each', async () => {
    expect(await providerBreakers({ services: services({ a: 'sim', b: 'sim', c: 'fine', d: null, e: 'unknown' }) }, store)).toEqual([
      {
        provider: 'sim',
        state: 'open',
        consecutive_failures: 2,
        opened_at: '2030-01-01T00:00:00.000Z',
        retry_at: '2030-01-01T00:00:02.000Z',
        probe_since: null,
        services: ['a', 'b'],
      },
    ]);
  });

  it('opens no store when no running step names a provider, and leaves providers out when the store cannot be read', async () => {
    const status = { services: services({ a: null }) } as DeploymentStatus;
    const never = async () => {
      throw new Error('must not open the store');
    };
    expect((await withProviderBreakers(status, never)).providers).toEqual([]);
    const named = { services: services({ a: 'sim' }) } as DeploymentStatus;
    expect((await withProviderBreakers(named, never)).providers).toBeUndefined();
    expect((await withProviderBreakers(named, async (use) => use(store as never))).providers).toHaveLength(1);
  });
});
