/**
 * Activities in isolation (MockActivityEnvironment): executor errors become the right Temporal
 * failure types, transient ones carry a jittered next-retry delay, heartbeats are sent, and the
 * service's max_attempts is enforced here, not counting attempts a worker shutdown handed back;
 * with the worker's executors, each attempt asks its provider's circuit breaker and retry budget.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ActivityCancellationDetails, ApplicationFailure, CancelledFailure, type MetricMeter } from '@temporalio/common';
import type { ExecutorContext } from '../executors/types';
import { FileStateStore } from '../state';
import { serviceSchema } from '../manifest/schema';
import { PermanentDeployError, TransientDeployError } from '../executors/errors';
import { FailureTypes, type DeployStep, type StepInput } from '../api/workflow-types';
import { nextRetryDelayMs } from './retry-delay';
import { HANDED_BACK_RETRY_DELAY_MS, runStep, type StepOptions } from './step-runner';
import { RefusalTypes } from '../resilience/refusal';
import { PROVIDER_METRICS } from '../resilience/metrics';

const input: StepInput = {
  deploymentId: 'dep-1',
  service: serviceSchema.parse({ name: 'api', type: 'kubernetes', executor: 'simulated', retry: { max_attempts: 5, initial_interval: '1s', backoff: 2 } }),
  idempotencyKey: 'dep-1:api:apply',
};

async function failureFrom(work: () => Promise<object>, attempt = 1): Promise<ApplicationFailure> {
  const env = new MockActivityEnvironment({ attempt });
  const err = await env.run(() => runStep('apply', input, {}, work)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('runStep', () => {
  it('maps a permanent executor error to a non-retryable failure', async () => {
    const failure = await failureFrom(async () => {
      throw new PermanentDeployError('rejected: bad chart');
    });
    expect(failure).toMatchObject({ type: FailureTypes.permanent, nonRetryable: true, message: 'rejected: bad chart' });
  });

  it('maps a transient error to a retryable failure with a jittered, growing delay', async () => {
    const first = await failureFrom(async () => {
      throw new TransientDeployError('throttled');
    }, 1);
    const third = await failureFrom(async () => {
      throw new TransientDeployError('throttled');
    }, 3);
    expect(first).toMatchObject({ type: FailureTypes.transient, nonRetryable: false });
    expect(first.nextRetryDelay).toBeGreaterThanOrEqual(800);
    expect(first.nextRetryDelay).toBeLessThanOrEqual(1200);
    expect(third.nextRetryDelay).toBeGreaterThanOrEqual(3200);
    expect(third.nextRetryDelay).toBeLessThanOrEqual(4800);
  });

  it('treats an unclassified error as transient, saying so', async () => {
    const failure = await failureFrom(async () => {
      throw new Error('socket hang up');
    });
    expect(failure).toMatchObject({ type: FailureTypes.transient, message: 'unexpected error: socket hang up' });
  });

  it('passes the idempotency key through; a first attempt that ends within its first interval sends no heartbeat', async () => {
    const env = new MockActivityEnvironment({ attempt: 1 });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const { key } = (await env.run(() => runStep('apply', input, {}, async (ctx) => ({ key: ctx.idempotencyKey })))) as { key: string };
    expect(key).toBe('dep-1:api:apply');
    expect(beats).toEqual([]);
  });

  it('beats with its step, service and attempt while it runs past an interval', async () => {
    const env = new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: 30 });
    const beats: unknown[] = [];
    let beaten: () => void = () => undefined;
    const firstBeat = new Promise<void>((resolve) => (beaten = resolve));
    env.on('heartbeat', (d: unknown) => {
      beats.push(d);
      beaten();
    });
    // The step ends only once it has beaten: no sleep, the beat is the event it waits for.
    await env.run(() => runStep('apply', input, {}, async () => firstBeat.then(() => ({}))));
    expect(beats[0]).toMatchObject({ step: 'apply', service: 'api', attempt: 1 });
  });

  it('beats at once on a retry, so status names a failing step and its provider from the start', async () => {
    const env = new MockActivityEnvironment({ attempt: 2 });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    await env.run(() => runStep('apply', input, {}, async () => ({})));
    expect(beats[0]).toMatchObject({ step: 'apply', service: 'api', attempt: 2 });
  });
});

describe('runStep attempt accounting', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-attempts-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const store = new FileStateStore(dir);
  let seq = 0;
  /** Each test its own deployment, so the store's records never mix. */
  const stepInput = (maxAttempts: number, step = 'apply'): StepInput => {
    const deploymentId = `dep-${++seq}`;
    return {
      deploymentId,
      service: serviceSchema.parse({ name: 'api', type: 'kubernetes', executor: 'simulated', retry: { max_attempts: maxAttempts, initial_interval: '1s' } }),
      idempotencyKey: `${deploymentId}:api:${step}`,
    };
  };
  const shutdown = new ActivityCancellationDetails({ workerShutdown: true });

  /** One attempt; `cancel` aborts it while the work waits for its signal. */
  async function attempt(
    stepInput: StepInput,
    attemptNo: number,
    work: (ctx: ExecutorContext) => Promise<object>,
    opts: { cancel?: Parameters<MockActivityEnvironment['cancel']>; options?: StepOptions } = {},
  ): Promise<{ result?: { attempts: unknown }; failure?: unknown }> {
    const env = new MockActivityEnvironment({ attempt: attemptNo });
    const running = env.run(() => runStep('apply', stepInput, opts.options ?? { store }, work));
    if (opts.cancel) env.cancel(...opts.cancel);
    return running.then(
      (result) => ({ result: result as { attempts: unknown } }),
      (failure: unknown) => ({ failure }),
    );
  }
  // The cancel may land before the work starts (runStep reads the store first).
  const untilAborted = (ctx: ExecutorContext) =>
    new Promise<object>((_, reject) => {
      if (ctx.signal.aborted) reject(ctx.signal.reason as Error);
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error));
    });
  const throwing = (err: Error) => async (): Promise<object> => {
    throw err;
  };

  it('hands an attempt interrupted by a worker shutdown back without spending it', async () => {
    const step = stepInput(1);
    const { failure } = await attempt(step, 1, untilAborted, { cancel: ['WORKER_SHUTDOWN', shutdown] });
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      type: FailureTypes.transient,
      nonRetryable: false,
      nextRetryDelay: HANDED_BACK_RETRY_DELAY_MS,
      details: [{ attempts: 0 }],
    });
    expect((failure as Error).message).toMatch(/^handed back: the worker shut down during attempt 1/);
    expect(await store.listAttempts(step.deploymentId, step.idempotencyKey)).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'interrupted', step: 'apply', service: 'api' }),
    ]);

    // max_attempts: 1, yet the next worker's attempt may still run, and it is the first one spent.
    const { result } = await attempt(step, 2, async () => ({ outcome: 'created' }));
    expect(result).toEqual({ outcome: 'created', attempts: { attempts: 1 } });
  });

  it('enforces max_attempts itself: a real failure after a hand-back is final once the spent attempts reach it', async () => {
    const step = stepInput(2);
    await attempt(step, 1, throwing(new TransientDeployError('throttled')));
    await attempt(step, 2, untilAborted, { cancel: ['WORKER_SHUTDOWN', shutdown] });
    const { failure } = await attempt(step, 3, throwing(new TransientDeployError('still throttled')));
    expect(failure).toMatchObject({
      type: FailureTypes.transient,
      nonRetryable: true,
      message: 'failed after 2 attempts: still throttled',
      details: [{ attempts: 2, lastFailure: 'still throttled' }],
    });
  });

  it('retries a real failure with a delay that grows with spent attempts only, reporting them', async () => {
    const step = stepInput(3);
    await attempt(step, 1, untilAborted, { cancel: ['WORKER_SHUTDOWN', shutdown] });
    const { failure } = await attempt(step, 2, throwing(new TransientDeployError('throttled')));
    expect(failure).toMatchObject({ nonRetryable: false, details: [{ attempts: 1, lastFailure: 'throttled' }] });
    // The first spent attempt's delay (1s ± 20%), not the second's.
    expect((failure as ApplicationFailure).nextRetryDelay).toBeLessThanOrEqual(1200);
    const { result } = await attempt(step, 3, async () => ({ outcome: 'created' }));
    expect(result?.attempts).toEqual({ attempts: 2, lastFailure: 'throttled' });
  });

  it('fails at once, without touching the world, when earlier attempts timed out until none was left', async () => {
    const step = stepInput(2);
    let touched = false;
    const { failure } = await attempt(step, 3, async () => {
      touched = true;
      return {};
    });
    expect(touched).toBe(false);
    expect(failure).toMatchObject({
      nonRetryable: true,
      message: 'failed after 2 attempts: attempt 2 did not report back (it timed out or its worker died)',
      details: [{ attempts: 2 }],
    });
    expect(await store.listIntents(step.deploymentId)).toEqual([]);
  });

  it('carries the attempts on a permanent failure', async () => {
    const step = stepInput(3);
    const { failure } = await attempt(step, 1, throwing(new PermanentDeployError('rejected')));
    expect(failure).toMatchObject({ nonRetryable: true, details: [{ attempts: 1, lastFailure: 'rejected' }] });
  });

  it('lets a cancellation the workflow asked for surface as cancellation, spending and recording nothing', async () => {
    const step = stepInput(3);
    const { failure } = await attempt(step, 1, untilAborted, { cancel: ['CANCELLED', new ActivityCancellationDetails({ cancelRequested: true })] });
    expect(failure).toBeInstanceOf(CancelledFailure);
    expect(await store.listAttempts(step.deploymentId, step.idempotencyKey)).toEqual([]);
  });

  it('without a store, counts every Temporal attempt as spent', async () => {
    const step = stepInput(3);
    const { failure } = await attempt(step, 3, throwing(new TransientDeployError('throttled')), { options: {} });
    expect(failure).toMatchObject({ nonRetryable: true, message: 'failed after 3 attempts: throttled' });
  });
});

describe('nextRetryDelayMs', () => {
  const retry = serviceSchema.parse({ name: 'x', type: 'shell', retry: { initial_interval: '1s', maximum_interval: '5s' } }).retry;
  it.each([
    [1, 0.5, 1000],
    [2, 0.5, 2000],
    [3, 0.5, 4000],
    [4, 0.5, 5000], // capped at maximum_interval
    [1, 0, 800], // -20%
    [1, 0.999999, 1200], // +20%
  ])('attempt %i with random %f → %i ms', (attempt, random, expected) => {
    expect(nextRetryDelayMs(retry, attempt, () => random)).toBe(expected);
  });
  it('has no spread when jitter is off', () => {
    expect(nextRetryDelayMs({ ...retry, jitter: false }, 2, () => 0)).toBe(2000);
  });
});

describe('runStep and secrets', () => {
  const withSecret = (work: (ctx: ExecutorContext) => Promise<object>) => {
    process.env.TUGBOAT_STEP_RUNNER_TEST_SECRET = 'value-of-the-secret';
    const env = new MockActivityEnvironment({ attempt: 1 });
    return env.run(() => runStep('apply', input, {}, work)).then(
      () => undefined,
      (e: unknown) => e as ApplicationFailure,
    );
  };

  it('refuses an output that carries a secret\'s value, naming the output and the secret', async () => {
    const failure = await withSecret(async (ctx) => {
      const value = await ctx.secrets.resolve({ secret: 'env:TUGBOAT_STEP_RUNNER_TEST_SECRET' });
      return { outcome: 'created', version: null, outputs: { url: `postgres://u:${value}@db` }, resources: [] };
    });
    expect(failure).toMatchObject({ type: FailureTypes.permanent, nonRetryable: true });
    expect(failure!.message).toContain('output "url" contains the value of [secret env:TUGBOAT_STEP_RUNNER_TEST_SECRET]');
    expect(JSON.stringify(failure)).not.toContain('value-of-the-secret');
  });

  it('fails permanently when a reference cannot be resolved', async () => {
    const failure = await withSecret(async (ctx) => {
      await ctx.secrets.resolve({ secret: 'env:TUGBOAT_STEP_RUNNER_TEST_UNSET' });
      return {};
    });
    expect(failure).toMatchObject({ type: FailureTypes.permanent, nonRetryable: true });
    expect(failure!.message).toContain('TUGBOAT_STEP_RUNNER_TEST_UNSET is not set on the worker');
  });
});

describe('runStep and the provider guard (circuit breaker, retry budget)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-guard-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const store = new FileStateStore(dir);
  let seq = 0;

  /** Each test its own provider and deployment: the shared state never mixes between tests. */
  function setup(resilience: object, retry: object = { max_attempts: 3, initial_interval: '1s' }) {
    const provider = `sim:guard-${++seq}`;
    const executors = { get: () => ({ provider: () => provider }) };
    const recorded: Array<{ name: string; value: number; tags: Record<string, unknown> }> = [];
    const meter = recordingMeter(recorded);
    const step = (service: string, stepName: DeployStep = 'apply'): StepInput => ({
      deploymentId: `dep-guard-${seq}`,
      service: serviceSchema.parse({ name: service, type: 'kubernetes', executor: 'simulated', retry, rollback_retry: retry, resilience }),
      idempotencyKey: `dep-guard-${seq}:${service}:${stepName}`,
    });
    async function run(input: StepInput, attemptNo: number, work: () => Promise<object>, stepName: DeployStep = 'apply', info: object = {}) {
      const env = new MockActivityEnvironment({ attempt: attemptNo, ...info }, { metricMeter: meter });
      return env.run(() => runStep(stepName, input, { store, executors }, work)).then(
        (result) => ({ result: result as { attempts: unknown }, failure: undefined }),
        (failure: unknown) => ({ result: undefined, failure: failure as ApplicationFailure }),
      );
    }
    return { provider, step, run, recorded };
  }
  const transient = async (): Promise<object> => {
    throw new TransientDeployError('503 unavailable');
  };
  const ok = async (): Promise<object> => ({ outcome: 'created' });

  it('opens after `failures` consecutive transient failures across services, then refuses without calling, not spending the attempt', async () => {
    const { provider, step, run, recorded } = setup({ breaker: { failures: 2, cool_down: '30s' } });
    const a = step('a');
    const b = step('b');
    await run(a, 1, transient);
    expect((await store.getProviderHealth(provider))?.breaker).toMatchObject({ state: 'closed', consecutiveFailures: 1 });
    await run(b, 1, transient);
    expect((await store.getProviderHealth(provider))?.breaker).toMatchObject({ state: 'open', consecutiveFailures: 2 });

    let called = false;
    const { failure } = await run(a, 2, async () => {
      called = true;
      return {};
    });
    expect(called).toBe(false);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: RefusalTypes.unavailable, nonRetryable: false, details: [{ attempts: 1, lastFailure: '503 unavailable' }] });
    expect(failure!.message).toContain(`not sent: provider ${provider} is unavailable: its circuit breaker is open since`);
    expect(failure!.message).toContain('(not counted against max_attempts)');
    // The rest of the cool-down (about 30s), spread by up to a tenth of it.
    expect(failure!.nextRetryDelay).toBeGreaterThan(25_000);
    expect(failure!.nextRetryDelay).toBeLessThanOrEqual(33_000);
    // Not spent: the step's next (admitted) attempt is its second spent one.
    expect(await store.listAttempts(a.deploymentId, a.idempotencyKey)).toContainEqual(expect.objectContaining({ attempt: 2, outcome: 'interrupted' }));
    expect(recorded).toContainEqual({ name: PROVIDER_METRICS.fastFailures, value: 1, tags: expect.objectContaining({ provider, reason: 'breaker_open' }) });
    expect(recorded).toContainEqual({ name: PROVIDER_METRICS.breakerOpen, value: 1, tags: expect.objectContaining({ provider }) });
    expect(recorded.filter((m) => m.name === PROVIDER_METRICS.calls).map((m) => m.tags.outcome)).toEqual(['transient_failure', 'transient_failure']);
  });

  it('lets one probe through after the cool-down; its success closes the breaker and the step reports only the attempts it spent', async () => {
    const { provider, step, run, recorded } = setup({ breaker: { failures: 1, cool_down: '30s' } });
    const a = step('a');
    await run(a, 1, transient);
    // The cool-down passed (written as a worker would find it, rather than waited for).
    await store.updateProviderHealth(provider, (h) => ({ ...h!, breaker: { ...h!.breaker, retryAt: new Date(Date.now() - 1).toISOString() } }));
    const { result } = await run(a, 2, ok);
    expect(result?.attempts).toEqual({ attempts: 2, lastFailure: '503 unavailable' });
    expect((await store.getProviderHealth(provider))?.breaker).toEqual({ state: 'closed', consecutiveFailures: 0 });
    expect(recorded.filter((m) => m.name === PROVIDER_METRICS.breakerOpen).map((m) => m.value)).toEqual([0, 1, 1, 0]);
  });

  it('refuses other steps while the probe is in flight', async () => {
    const { provider, step, run } = setup({ breaker: { failures: 1, cool_down: '30s' } });
    await run(step('a'), 1, transient);
    await store.updateProviderHealth(provider, (h) => ({
      ...h!,
      breaker: { ...h!.breaker, state: 'half-open', retryAt: undefined, probeKey: step('a').idempotencyKey, probeSince: new Date().toISOString() },
    }));
    const { failure } = await run(step('b'), 1, ok);
    expect(failure).toMatchObject({ type: RefusalTypes.unavailable, nonRetryable: false });
    expect(failure!.message).toContain(`provider ${provider} is half-open: another step's probe call is in flight`);
  });

  it('does not let an unhealthy verify close the breaker or reset its count (the probes that failed were swallowed)', async () => {
    const { provider, step, run } = setup({ breaker: { failures: 2, cool_down: '30s' } });
    // Verify resolves (probeUntilHealthy turns failed probes into an unhealthy answer) while the provider is down.
    const unhealthy = async (): Promise<object> => ({ healthy: false, detail: 'probe failed: connect ECONNREFUSED (still unhealthy after 3 probes)' });
    await run(step('a'), 1, transient);
    await run(step('b', 'verify'), 1, unhealthy, 'verify');
    expect((await store.getProviderHealth(provider))?.breaker).toMatchObject({ state: 'closed', consecutiveFailures: 1 });
    await run(step('c'), 1, transient);
    expect((await store.getProviderHealth(provider))?.breaker).toMatchObject({ state: 'open', consecutiveFailures: 2 });

    // The cool-down passed and a verify is the half-open probe: unhealthy, it frees the slot but does not close.
    await store.updateProviderHealth(provider, (h) => ({ ...h!, breaker: { ...h!.breaker, retryAt: new Date(Date.now() - 1).toISOString() } }));
    const { result } = await run(step('b', 'verify'), 2, unhealthy, 'verify');
    expect(result).toMatchObject({ healthy: false });
    expect((await store.getProviderHealth(provider))?.breaker).toEqual({ state: 'half-open', consecutiveFailures: 2, openedAt: expect.any(String) });

    // A healthy verify is an answer from the provider: it closes.
    await run(step('b', 'verify'), 3, async () => ({ healthy: true }), 'verify');
    expect((await store.getProviderHealth(provider))?.breaker).toEqual({ state: 'closed', consecutiveFailures: 0 });
  });

  it('does not count a permanent failure against the provider', async () => {
    const { provider, step, run } = setup({ breaker: { failures: 1 } });
    await run(step('a'), 1, async () => {
      throw new PermanentDeployError('rejected: bad chart');
    });
    expect((await store.getProviderHealth(provider))?.breaker).toEqual({ state: 'closed', consecutiveFailures: 0 });
  });

  it('delays a retry beyond the retry budget until the window ends, but never a first attempt or a compensation', async () => {
    const { provider, step, run, recorded } = setup({ breaker: { failures: 0 }, retry_budget: { ratio: 0.5, window: '1m', min_calls: 2 } });
    const a = step('a');
    await run(a, 1, transient); // calls 1
    await run(a, 2, transient); // a retry: calls 2, retries 1
    const { failure } = await run(a, 3, ok); // 2 retries of 3 calls > 50%
    expect(failure).toMatchObject({ type: RefusalTypes.retryBudget, nonRetryable: false, details: [{ attempts: 2 }] });
    expect(failure!.message).toContain(`provider ${provider}'s retry budget is spent: 1 of its 2 calls in the current 1m window were retries, and at most 50% may be`);
    // Until the window ends, spread by up to 10% of it.
    expect(failure!.nextRetryDelay).toBeGreaterThan(50_000);
    expect(failure!.nextRetryDelay).toBeLessThanOrEqual(66_000);
    expect((await store.getProviderHealth(provider))?.budget).toMatchObject({ calls: 2, retries: 1, delayed: 1 });
    expect(recorded).toContainEqual({ name: PROVIDER_METRICS.fastFailures, value: 1, tags: expect.objectContaining({ provider, reason: 'retry_budget' }) });

    expect((await run(step('b'), 1, ok)).result).toBeDefined();
    const comp = step('a', 'compensate');
    await run(comp, 1, transient, 'compensate');
    expect((await run(comp, 2, ok, 'compensate')).result).toBeDefined();
  });

  it('gives up, non-retryable, when Temporal has no attempt left to wait with', async () => {
    // Attempts 2-12 left no record (spent), still below max_attempts: only Temporal's limit stops it.
    const { step, run } = setup({ breaker: { failures: 1, cool_down: '30s' } }, { max_attempts: 20, initial_interval: '1s' });
    await run(step('a'), 1, transient);
    const { failure } = await run(step('a'), 13, ok, 'apply', { retryPolicy: { maximumAttempts: 13 } });
    expect(failure).toMatchObject({ type: RefusalTypes.unavailable, nonRetryable: true });
    expect(failure!.message).toMatch(/no attempt is left to wait with/);
  });

  it('sends a refused compensation anyway on the last attempt Temporal allows, so a rollback never blocks without having tried', async () => {
    const { provider, step, run, recorded } = setup({ breaker: { failures: 1, cool_down: '30s' } }, { max_attempts: 3, initial_interval: '1s' });
    await run(step('a'), 1, transient);
    const comp = step('a', 'compensate');
    let sent = 0;
    const compensate = async (): Promise<object> => {
      sent++;
      return { outcome: 'deleted' };
    };
    // Every attempt before the last (13 = rollback_retry's max_attempts 3 + the interruption allowance 10): refused, waiting.
    for (let n = 1; n <= 12; n++) {
      const early = await run(comp, n, compensate, 'compensate', { retryPolicy: { maximumAttempts: 13 } });
      expect(early.failure).toMatchObject({ type: RefusalTypes.unavailable, nonRetryable: false });
    }
    expect(sent).toBe(0);

    const { result, failure } = await run(comp, 13, compensate, 'compensate', { retryPolicy: { maximumAttempts: 13 } });
    expect(failure).toBeUndefined();
    expect(result).toMatchObject({ outcome: 'deleted', attempts: { attempts: 1 } });
    expect(sent).toBe(1);
    // Counted as a call the breaker did not admit: it answered, so the breaker closes.
    expect((await store.getProviderHealth(provider))?.breaker).toEqual({ state: 'closed', consecutiveFailures: 0 });
    expect(recorded.filter((m) => m.name === PROVIDER_METRICS.fastFailures)).toHaveLength(12); // the refusals only
    expect(recorded.filter((m) => m.name === PROVIDER_METRICS.calls).map((m) => m.tags.outcome)).toEqual(['transient_failure', 'success']);
  });

  it('counts a compensation sent anyway that fails transiently against the provider, and fails the step as any failure would', async () => {
    const { provider, step, run } = setup({ breaker: { failures: 1, cool_down: '30s' } }, { max_attempts: 3, initial_interval: '1s' });
    await run(step('a'), 1, transient);
    const comp = step('a', 'compensate');
    for (let n = 1; n <= 12; n++) await run(comp, n, transient, 'compensate', { retryPolicy: { maximumAttempts: 13 } });
    const { failure } = await run(comp, 13, transient, 'compensate', { retryPolicy: { maximumAttempts: 13 } });
    expect(failure).toMatchObject({ type: FailureTypes.transient, message: '503 unavailable', details: [{ attempts: 1, lastFailure: '503 unavailable' }] });
    expect((await store.getProviderHealth(provider))?.breaker).toMatchObject({ state: 'open', consecutiveFailures: 2 });
  });

  it('takes strategy.resilience from the step\'s deployment scope, the service\'s own block overriding it field by field', async () => {
    const { step, run } = setup({ breaker: { cool_down: '45s' } });
    const a = step('a');
    const provider = `named-${a.deploymentId}`;
    const scoped = { ...a, deployment: { name: 'shop', environment: 'prod', resilience: { provider, breaker: { failures: 1, cool_down: '5s' } } } };
    await run(scoped, 1, transient);
    const health = await store.getProviderHealth(provider);
    expect(health?.breaker.state).toBe('open');
    // failures from the deployment, cool_down from the service.
    expect(Date.parse(health!.breaker.retryAt!) - Date.parse(health!.breaker.openedAt!)).toBe(45_000);
  });

  it('heartbeats while it waits for the provider\'s health (a lock held elsewhere), before the call is admitted', async () => {
    const { step } = setup({ breaker: { failures: 1 } });
    const env = new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: 30 });
    let beats = 0;
    let beaten: () => void = () => undefined;
    env.on('heartbeat', () => {
      beats++;
      if (beats >= 3) beaten();
    });
    // The store answers only once the step has beaten three times while it waited (a first attempt beats from its first interval on).
    const slow = Object.assign(Object.create(store) as FileStateStore, {
      updateProviderHealth: async (...args: Parameters<FileStateStore['updateProviderHealth']>) => {
        if (beats < 3) await new Promise<void>((resolve) => (beaten = resolve));
        return store.updateProviderHealth(...args);
      },
    });
    const provider = `sim:slow-${seq}`;
    const executors = { get: () => ({ provider: () => provider }) };
    const result = await env.run(() => runStep('apply', step('a'), { store: slow, executors, providerHealthTimeoutMs: 2_000 }, ok));
    expect(result).toMatchObject({ outcome: 'created' });
    // Admitted through the store (not given up on after the bound): the call counted in the provider's window.
    expect((await store.getProviderHealth(provider))?.budget).toMatchObject({ calls: 1 });
  });

  it('lets the call go unguarded when the provider\'s health does not answer within the bound', async () => {
    const { step } = setup({ breaker: { failures: 1 } });
    const stuck = Object.assign(Object.create(store) as FileStateStore, {
      updateProviderHealth: () => new Promise<never>(() => undefined),
    });
    const executors = { get: () => ({ provider: () => `sim:stuck-${seq}` }) };
    const warnings: string[] = [];
    const logger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, error: () => undefined, warn: (m: string) => warnings.push(m) };
    const env = new MockActivityEnvironment({ attempt: 1 }, { logger });
    const started = Date.now();
    const result = await env.run(() => runStep('apply', step('a'), { store: stuck, executors, providerHealthTimeoutMs: 50 }, ok));
    expect(result).toMatchObject({ outcome: 'created' });
    // Admission and the outcome's record each waited the bound, not for ever.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(warnings.filter((w) => /^provider sim:stuck-\d+'s health did not answer within 50ms; /.test(w))).toEqual([
      expect.stringMatching(/; the call goes unguarded$/),
      expect.stringMatching(/; its outcome is not counted$/),
    ]);
  });

  it('lets the call go when the provider health cannot be read or written', async () => {
    const executors = { get: () => ({ provider: () => 'sim:broken' }) };
    const broken = Object.assign(Object.create(store) as FileStateStore, {
      updateProviderHealth: async () => {
        throw new Error('disk full');
      },
    });
    const env = new MockActivityEnvironment({ attempt: 1 });
    const { deploymentId, service } = setup({}).step('a');
    const result = await env.run(() => runStep('apply', { deploymentId, service, idempotencyKey: `${deploymentId}:a:apply` }, { store: broken, executors }, ok));
    expect(result).toMatchObject({ outcome: 'created' });
  });
});

/** A metric meter that remembers every value recorded (Temporal's own is exercised by the metrics tests). */
function recordingMeter(recorded: Array<{ name: string; value: number; tags: Record<string, unknown> }>): MetricMeter {
  const metric = (name: string) => {
    const record = (value: number, tags: Record<string, unknown> = {}) => recorded.push({ name, value, tags });
    return { name, unit: '', description: '', add: record, record, set: record, withTags: () => metric(name) };
  };
  const meter = {
    createCounter: (name: string) => ({ ...metric(name), kind: 'counter', valueType: 'int' }),
    createHistogram: (name: string) => ({ ...metric(name), kind: 'histogram', valueType: 'float' }),
    createGauge: (name: string) => ({ ...metric(name), kind: 'gauge', valueType: 'int' }),
    withTags: () => meter,
  };
  return meter as unknown as MetricMeter;
}
