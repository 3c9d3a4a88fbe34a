/**
 * Activities in isolation (MockActivityEnvironment): executor errors become the right Temporal
 * failure types, transient ones carry a jittered next-retry delay, and heartbeats are sent.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { serviceSchema } from '../manifest/schema';
import { PermanentDeployError, TransientDeployError } from '../executors/errors';
import { FailureTypes, type StepInput } from '../api/workflow-types';
import { nextRetryDelayMs } from './retry-delay';
import { runStep } from './step-runner';

const input: StepInput = {
  deploymentId: 'dep-1',
  service: serviceSchema.parse({ name: 'api', type: 'kubernetes', retry: { initial_interval: '1s', backoff: 2 } }),
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

  it('heartbeats while the step runs and passes the idempotency key through', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const { key } = (await env.run(() => runStep('apply', input, {}, async (ctx) => ({ key: ctx.idempotencyKey })))) as { key: string };
    expect(key).toBe('dep-1:api:apply');
    expect(beats[0]).toMatchObject({ step: 'apply', service: 'api', attempt: 1 });
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
