/**
 * The bake window in the SDK's activity harness (MockActivityEnvironment), against real local
 * HTTP servers and a real simulated cloud: a window that passes, a service that turns 503 after
 * a few requests, a deployment-level check's retries, the executor's own verify (at most every
 * 15 s), resuming from a heartbeat, and cancellation mid-window.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { BakeInput, BakeResult } from '../api/workflow-types';
import { ExecutorRegistry } from '../executors/registry';
import { simulatedExecutor } from '../executors/simulated';
import { testDependencies } from '../executors/testing';
import { startTestServer, type TestServer } from '../executors/http/test-server';
import { healthCheckSchema, serviceSchema } from '../manifest/schema';
import { SimCloudClient, startSimCloud, type RunningSimCloud } from '../simcloud';
import { FileStateStore } from '../state';
import { waitFor } from '../../test/support/wait';
import { bakeIntervalMs, bakeRelease, type BakeHeartbeat, type BakeOptions } from './bake';
import type { ActivityDependencies } from './index';

describe('bakeRelease', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-bake-'));
  let server: TestServer;
  let sim: RunningSimCloud;
  let simClock = Date.parse('2030-01-01T00:00:00Z');
  let deps: ActivityDependencies;
  beforeAll(async () => {
    server = await startTestServer();
    sim = await startSimCloud({ port: 0, now: () => simClock });
    deps = {
      executors: new ExecutorRegistry(testDependencies(dir, { simCloudUrl: sim.url }), [simulatedExecutor]),
      store: new FileStateStore(path.join(dir, 'store')),
    };
  });
  beforeEach(async () => {
    server.requests.length = 0;
    server.handle((_req, res) => res.end('ok'));
    await new SimCloudClient(sim.url).reset();
  });
  afterAll(async () => {
    await server.close();
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const logger = new DefaultLogger('WARN');
  /** A harness that records every heartbeat. */
  const harness = (info: ConstructorParameters<typeof MockActivityEnvironment>[0] = {}) => {
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 3_000, ...info }, { logger });
    const beats: BakeHeartbeat[] = [];
    env.on('heartbeat', (d: BakeHeartbeat) => beats.push(d));
    return { env, beats, run: (input: BakeInput, opts?: BakeOptions) => env.run(bakeRelease, deps, input, opts) as Promise<BakeResult> };
  };
  const probed = (name: string, overrides: Record<string, unknown> = {}) =>
    serviceSchema.parse({ name, type: 'http', executor: 'simulated', health_check: { url: `${server.url}/health/${name}`, interval: '250ms' }, ...overrides });
  const bake = (overrides: Partial<BakeInput>): BakeInput => ({ deploymentId: 'dep-bake', durationMs: 1_000, services: [], healthChecks: [], ...overrides });
  /** Answers 200 to the first `healthy` requests for `path`, 503 from then on. */
  const turnsBadAfter = (healthy: number, pathOf = '/health/web') =>
    server.handle((req, res) => {
      const seen = server.requests.filter((r) => r.path === pathOf).length;
      res.statusCode = req.path === pathOf && seen > healthy ? 503 : 200;
      res.end();
    });

  it('passes a short window, probing in rounds and heartbeating each one', async () => {
    const { run, beats } = harness();
    const started = Date.now();
    const result = await run(bake({ durationMs: 800, services: [probed('web')] }));
    const took = Date.now() - started;
    expect(result.healthy).toBe(true);
    expect(result.detail).toBeUndefined();
    // Rounds at 0, 250, 500, 750 and the window's close at 800 (interval from the health_check).
    expect(result.checks).toBeGreaterThanOrEqual(3);
    expect(result.checks).toBeLessThanOrEqual(5);
    expect(server.requests.filter((r) => r.path === '/health/web')).toHaveLength(result.checks);
    expect(took).toBeGreaterThanOrEqual(800);
    expect(took).toBeLessThan(5_000);
    const rounds = beats.map((b) => b.round);
    expect(rounds.at(-1)).toBe(result.checks);
    expect(new Set(rounds)).toEqual(new Set(Array.from({ length: result.checks + 1 }, (_, i) => i)));
    expect(beats.at(-1)?.detail).toMatch(new RegExp(`^round ${result.checks}: healthy`));
  });

  it('ends at the first unhealthy answer, naming the target and what it answered', async () => {
    turnsBadAfter(3);
    const { run } = harness();
    const result = await run(bake({ durationMs: 60_000, services: [probed('web'), probed('api')] }));
    expect(result).toEqual({
      healthy: false,
      checks: 4,
      detail: expect.stringMatching(new RegExp(`^web: GET ${server.url}/health/web → 503 \\(expected 200\\) in \\d+ ms$`)),
    });
  });

  it('tolerates a deployment-level check failing within its retries, and ends once it fails retries + 1 times in a row', async () => {
    // /ready: 200, 503, 503, 200, then 503 for good. retries: 2 → the third failure in a row ends it.
    const answers = [200, 503, 503, 200];
    server.handle((req, res) => {
      const seen = server.requests.filter((r) => r.path === '/ready').length;
      res.statusCode = req.path === '/ready' ? (answers[seen - 1] ?? 503) : 200;
      res.end();
    });
    const { run } = harness();
    const check = healthCheckSchema.parse({ endpoint: `${server.url}/ready`, retries: 2 });
    const result = await run(bake({ durationMs: 60_000, services: [probed('web')], healthChecks: [check] }));
    expect(result.healthy).toBe(false);
    expect(result.checks).toBe(7);
    expect(result.detail).toMatch(/^health_checks\[0\]: GET .*\/ready → 503 \(expected 200\) in \d+ ms \(3 of 3 failures in a row\)$/);
  });

  it("asks the executor's own verify for a service without a health_check, at most every 15 s", async () => {
    const cloud = new SimCloudClient(sim.url);
    const web = serviceSchema.parse({ name: 'web', type: 'kubernetes', simulate: { duration: '1ms' } });
    await cloud.apply({ service: 'web', deploymentId: 'dep-bake', type: 'kubernetes', idempotencyKey: 'dep-bake:web:apply' });
    const { run } = harness();
    // The probed service sets the pace (250 ms rounds); the simulated one is asked once in 1 s.
    const result = await run(bake({ durationMs: 1_000, services: [web, probed('api')] }));
    expect(result.healthy).toBe(true);
    expect(result.checks).toBeGreaterThanOrEqual(3);
    const verifies = await cloud.calls({ service: 'web', op: 'verify' });
    expect(verifies).toHaveLength(1);
    // With the verify step's key: the same service the deploy verified.
    expect(verifies[0]).toMatchObject({ idempotencyKey: 'dep-bake:web:verify', outcome: 'verified' });
  });

  it('ends when the executor says the service went bad (simulate.unhealthy_after)', async () => {
    const web = serviceSchema.parse({ name: 'web', type: 'kubernetes', simulate: { duration: '1ms', unhealthy_after: '2m' } });
    const cloud = new SimCloudClient(sim.url);
    await cloud.apply({ service: 'web', deploymentId: 'dep-bake', type: 'kubernetes', idempotencyKey: 'dep-bake:web:apply', simulate: { unhealthy_after_ms: 120_000 } });
    const { run, beats } = harness();
    const baking = run(bake({ durationMs: 60_000, services: [web, probed('api')] }), { executorVerifyEveryMs: 0 });
    await waitFor(() => beats.some((b) => b.round >= 2), { what: 'two healthy rounds', timeoutMs: 10_000 });
    simClock += 120_000;
    const result = await baking;
    expect(result.healthy).toBe(false);
    expect(result.detail).toBe('web: went unhealthy 120000 ms after its apply (simulate.unhealthy_after)');
    expect(result.checks).toBeGreaterThanOrEqual(3);
  });

  it('resumes its round count and its window from the last heartbeat on retry', async () => {
    const startedAtMs = Date.now() - 1_000;
    const { run } = harness({ attempt: 2, heartbeatDetails: { round: 7, detail: 'round 7: healthy', startedAtMs, failures: {} } });
    const started = Date.now();
    const result = await run(bake({ durationMs: 1_300, services: [probed('web')] }));
    expect(result.healthy).toBe(true);
    // About 300 ms were left of the window: a round or two on top of the seven done.
    expect(result.checks).toBeGreaterThanOrEqual(8);
    expect(result.checks).toBeLessThanOrEqual(10);
    // Well inside a fresh 1.3 s window: the window was not restarted.
    expect(Date.now() - started).toBeLessThan(1_300);
  });

  it('throws the cancellation promptly when cancelled mid-window', async () => {
    const { env, run, beats } = harness();
    const baking = run(bake({ durationMs: 60_000, services: [probed('web')] }));
    const settled = baking.catch((err: unknown) => err);
    await waitFor(() => beats.some((b) => b.round >= 2), { what: 'two rounds', timeoutMs: 10_000 });
    const cancelledAt = Date.now();
    env.cancel();
    const err = await settled;
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(Date.now() - cancelledAt).toBeLessThan(2_000);
  });

  it('rounds every 5 s, or the smallest health_check interval, never under 250 ms', () => {
    const withInterval = (interval: string) => probed('x', { health_check: { url: `${server.url}/h`, interval } });
    const plain = serviceSchema.parse({ name: 'db', type: 'terraform', executor: 'simulated' });
    expect(bakeIntervalMs({ services: [plain] })).toBe(5_000);
    expect(bakeIntervalMs({ services: [plain, withInterval('30s')] })).toBe(5_000);
    expect(bakeIntervalMs({ services: [withInterval('2s'), withInterval('1s')] })).toBe(1_000);
    expect(bakeIntervalMs({ services: [withInterval('10ms')] })).toBe(250);
  });
});
