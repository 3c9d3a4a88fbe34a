/**
 * The step metrics interceptor in Temporal's mock activity environment, with a meter that records
 * what it is given: one duration per step attempt labelled with executor, step and outcome, a retry
 * counted from the second attempt, and nothing for activities that are not steps.
 */
import type { MetricMeter, MetricTags } from '@temporalio/common';
import { ActivityCancellationDetails, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { StepMetricsInterceptor } from './activity-interceptor';

interface Recorded {
  name: string;
  value: number;
  tags: MetricTags;
}

function recordingMeter(recorded: Recorded[]): MetricMeter {
  const instrument = (name: string) => {
    const record = (value: number, tags: MetricTags = {}) => void recorded.push({ name, value, tags });
    return { name, add: record, record, set: record, withTags: () => instrument(name) };
  };
  const meter = {
    createCounter: instrument,
    createHistogram: instrument,
    createGauge: instrument,
    withTags: () => meter,
  };
  return meter as unknown as MetricMeter;
}

function environment(activityType: string, attempt = 1) {
  const recorded: Recorded[] = [];
  const env = new MockActivityEnvironment(
    { activityType, attempt },
    { metricMeter: recordingMeter(recorded), interceptors: [(ctx) => ({ inbound: new StepMetricsInterceptor(ctx) })] },
  );
  return { env, recorded };
}

const step = { service: { name: 'db', executor: 'opentofu' } };

describe('StepMetricsInterceptor', () => {
  it('records an attempt that returned as ok, in seconds, with no retry on the first attempt', async () => {
    const { env, recorded } = environment('applyService');
    await env.run(async (_input: unknown) => ({ outcome: 'created' }), step);
    expect(recorded).toEqual([
      {
        name: 'tugboat_step_duration_seconds',
        value: expect.any(Number),
        // Temporal adds the activity's own tags (type, namespace, task queue).
        tags: expect.objectContaining({ executor: 'opentofu', step: 'apply', outcome: 'ok', activityType: 'applyService' }),
      },
    ]);
    expect(recorded[0].value).toBeLessThan(5);
  });

  it('counts a retry and records a failure as failed, passing the error on unchanged', async () => {
    const { env, recorded } = environment('verifyService', 3);
    const failure = new Error('unhealthy');
    await expect(env.run(async (_input: unknown) => Promise.reject(failure), step)).rejects.toBe(failure);
    expect(recorded.map((r) => [r.name, r.tags])).toEqual([
      ['tugboat_step_retries_total', expect.objectContaining({ executor: 'opentofu', step: 'verify' })],
      ['tugboat_step_duration_seconds', expect.objectContaining({ executor: 'opentofu', step: 'verify', outcome: 'failed' })],
    ]);
  });

  it.each([
    ['the workflow cancelled', 'cancelled', { cancelRequested: true }],
    ['a stopping worker handed back', 'handed_back', { workerShutdown: true }],
  ] as const)('records a step %s as %s', async (_why, outcome, details) => {
    const { env, recorded } = environment('compensateService');
    const running = env.run(async (_input: unknown) => {
      env.cancel('CANCELLED', new ActivityCancellationDetails(details));
      throw new CancelledFailure('cancelled');
    }, step);
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
    expect(recorded.map((r) => r.tags.outcome)).toEqual([outcome]);
  });

  it('leaves activities that are not service steps alone', async () => {
    const { env, recorded } = environment('notify', 2);
    expect(await env.run(async (_input: unknown) => 'sent', step)).toBe('sent');
    expect(recorded).toEqual([]);
  });
});
