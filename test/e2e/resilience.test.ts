/**
 * Per-provider resilience on a real server and the simulated cloud. Circuit breaker: two services
 * on one provider failing transiently open it after `failures`; later attempts fail fast without
 * reaching the cloud (and without spending the step's attempts); once the cloud recovers, one
 * half-open probe succeeds, the breaker closes and the deployment succeeds. Retry budget: retries
 * beyond its share of the provider's calls are delayed to the window's end, not sent, and go
 * through afterwards. The shared state is read where every worker reads it: the state store.
 */
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { ProviderHealth } from '../../src/api/resilience';
import { idempotencyKey } from '../../src/api/workflow-types';
import { deploymentStatus } from '../../src/client/status';
import { withProviderBreakers } from '../../src/client/provider-breakers';
import { renderStatus } from '../../src/cli/render-status';
import type { ServiceInput } from '../../src/manifest/schema';
import { hostProvider } from '../../src/resilience/provider';
import { FileStateStore } from '../../src/state';
import { waitFor } from '../support/wait';
import { callsOf, progressOf, useWorld, type World } from '../support/world';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const storeOf = (world: World) => new FileStateStore(path.join(world.stateDir, 'state'));

/** Polls the provider's shared health until `predicate` holds. */
function healthUntil(world: World, provider: string, predicate: (h: ProviderHealth) => boolean, what: string): Promise<ProviderHealth> {
  return waitFor(
    async () => {
      const health = await storeOf(world).getProviderHealth(provider);
      return health && predicate(health) ? health : undefined;
    },
    { what, timeoutMs: 60_000 },
  );
}

/** Polls `tugboat status` until one of `services` reports a last failure matching `pattern`. */
function statusFailureUntil(world: World, handle: WorkflowHandle, services: string[], pattern: RegExp): Promise<string> {
  return waitFor(
    async () => {
      const status = await deploymentStatus(world.client, handle);
      return services.map((s) => status.services[s]?.last_failure).find((f): f is string => typeof f === 'string' && pattern.test(f));
    },
    { what: `a last failure matching ${pattern}`, timeoutMs: 60_000 },
  );
}

describe('circuit breaker', () => {
  const world = useWorld('breaker');
  afterEach(async () => {
    for (const name of ['a', 'b']) await world.cloud.clearOverride(name);
  });

  it('opens after consecutive transient failures across services, fails fast while open, and closes on a successful half-open probe', async () => {
    const provider = hostProvider('simulated', world.simCloudUrl)!;
    const service = (name: string): ServiceInput => ({
      name,
      type: 'kubernetes',
      version: 'v1',
      simulate: { duration: '10ms' },
      retry: { max_attempts: 10, initial_interval: '200ms', maximum_interval: '1s' },
      // The budget off: this test is about the breaker alone.
      resilience: { breaker: { failures: 2, cool_down: '2s' }, retry_budget: { ratio: 1 } },
    });
    // The cloud is down for both until the test says otherwise.
    await world.cloud.setOverride('a', { fail_transient: 1_000 });
    await world.cloud.setOverride('b', { fail_transient: 1_000 });
    const { handle, deploymentId } = await world.deploy(world.manifest([service('a'), service('b')]));

    const open = await healthUntil(world, provider, (h) => h.breaker.state === 'open', 'the breaker to open');
    expect(open.breaker.consecutiveFailures).toBeGreaterThanOrEqual(2);

    // A later attempt fails fast, saying why and when it retries.
    const fastFailure = await statusFailureUntil(world, handle, ['a', 'b'], /^not sent: /);
    expect(fastFailure).toMatch(
      new RegExp(`^not sent: provider ${escape(provider)} (is unavailable: its circuit breaker is open|is half-open: another step's probe)`),
    );
    expect(fastFailure).toMatch(/this step retries in [\d.]+m?s.*\(not counted against max_attempts\)$/);
    // `tugboat status` shows the breaker the running steps are behind (their heartbeats name the provider).
    const shown = await waitFor(
      async () => {
        const status = await withProviderBreakers(await deploymentStatus(world.client, handle), async (use) => use(storeOf(world)));
        return status.providers?.find((p) => p.provider === provider) ? status : undefined;
      },
      { what: 'status to show the breaker', timeoutMs: 60_000 },
    );
    expect(shown.providers![0]).toMatchObject({ provider, state: expect.stringMatching(/^(open|half-open)$/) });
    expect(shown.providers![0].services.length).toBeGreaterThanOrEqual(1);
    expect(renderStatus(shown)).toMatch(new RegExp(`^provider ${escape(provider)} \\([ab](, [ab])?\\): circuit breaker (OPEN|HALF-OPEN) since `, 'm'));
    // The cloud recovers: the next half-open probe succeeds and closes it.
    await world.cloud.clearOverride('a');
    await world.cloud.clearOverride('b');
    const result = await handle.result();
    expect(result.phase).toBe('SUCCEEDED');
    expect((await storeOf(world).getProviderHealth(provider))!.breaker).toEqual({ state: 'closed', consecutiveFailures: 0 });

    // Each service spent only the attempts that reached the cloud; the refused ones are on record
    // as not spent, each saying why.
    const progress = await progressOf(handle);
    const mine = (await world.cloud.calls()).filter((c) => c.deploymentId === deploymentId);
    let refused = 0;
    for (const name of ['a', 'b']) {
      const sent = callsOf(mine, name, 'apply');
      expect(sent.at(-1)?.outcome).toBe('created');
      expect(progress.services[name].steps?.apply?.attempts).toBe(sent.length);
      const records = await storeOf(world).listAttempts(deploymentId, idempotencyKey(deploymentId, name, 'apply'));
      expect(records.filter((r) => r.outcome === 'failed')).toHaveLength(sent.length - 1);
      const notSent = records.filter((r) => r.outcome === 'interrupted');
      for (const r of notSent) expect(r.message).toMatch(/^not sent: provider /);
      refused += notSent.length;
    }
    expect(refused).toBeGreaterThanOrEqual(1);
  });
});

describe('retry budget', () => {
  const world = useWorld('budget');
  afterEach(async () => {
    for (const name of ['s1', 's2', 's3']) await world.cloud.clearOverride(name);
  });

  it('delays retries beyond its share of the provider\'s calls to the end of the window, then sends them', async () => {
    const provider = `budget-${world.name}`;
    const service = (name: string): ServiceInput => ({
      name,
      type: 'kubernetes',
      version: 'v1',
      // Each fails once: three first attempts, three retries wanted.
      simulate: { duration: '10ms', fail_transient: 1 },
      retry: { max_attempts: 5, initial_interval: '200ms', maximum_interval: '1s' },
      // At most a quarter of the calls in a 4s window may be retries: of three retries, at most one goes at once.
      resilience: { provider, breaker: { failures: 0 }, retry_budget: { ratio: 0.25, window: '4s', min_calls: 2 } },
    });
    const { handle, deploymentId } = await world.deploy(world.manifest([service('s1'), service('s2'), service('s3')]));

    const delayed = await healthUntil(world, provider, (h) => h.budget.delayed > 0, 'a retry to be delayed');
    // A delayed retry was not a call.
    expect(delayed.budget.retries).toBeLessThanOrEqual(Math.max(0.25 * delayed.budget.calls, 2));
    const fastFailure = await statusFailureUntil(world, handle, ['s1', 's2', 's3'], /retry budget is spent/);
    expect(fastFailure).toMatch(new RegExp(`^not sent: provider ${provider}'s retry budget is spent: \\d+ of its \\d+ calls in the current 4s window were retries, and at most 25% may be; this step retries in`));

    const result = await handle.result();
    expect(result.phase).toBe('SUCCEEDED');
    // Every service reached the cloud exactly twice (its failure and its retry): delayed retries were never sent.
    const mine = (await world.cloud.calls()).filter((c) => c.deploymentId === deploymentId);
    const progress = await progressOf(handle);
    let delayedRetries = 0;
    for (const name of ['s1', 's2', 's3']) {
      expect(callsOf(mine, name, 'apply').map((c) => c.outcome)).toEqual(['transient_error', 'created']);
      expect(progress.services[name].steps?.apply?.attempts).toBe(2);
      const records = await storeOf(world).listAttempts(deploymentId, idempotencyKey(deploymentId, name, 'apply'));
      delayedRetries += records.filter((r) => r.outcome === 'interrupted' && /retry budget is spent/.test(r.message ?? '')).length;
    }
    // Of three retries wanted at once, at most one fit the budget.
    expect(delayedRetries).toBeGreaterThanOrEqual(2);
  });
});
