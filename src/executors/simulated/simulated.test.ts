/**
 * The simulated executor against a real sim cloud: idempotency keys pass through, errors are
 * classified, cancellation aborts the call. (Beside the executor, like every executor's tests.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { serviceSchema } from '../../manifest/schema';
import { SimCloudClient, startSimCloud } from '../../simcloud';
import { PermanentDeployError, TransientDeployError } from '../errors';
import type { ExecutorContext } from '../types';
import { testContext, testDependencies } from '../testing';
import { simulatedExecutor } from '.';

describe('simulated executor', () => {
  let sim: Awaited<ReturnType<typeof startSimCloud>>;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-simexec-'));
    sim = await startSimCloud({ port: 0, stateFile: path.join(dir, 'state.json') });
  });
  afterAll(async () => {
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const ctx = (service: Record<string, unknown>, key: string, signal = new AbortController().signal): ExecutorContext => ({
    ...testContext(service, { signal }),
    idempotencyKey: key,
  });

  it('its examples are valid service entries', () => {
    for (const example of simulatedExecutor.examples) {
      const [entry] = parseDocument(example).toJS() as unknown[];
      expect(serviceSchema.safeParse(entry).success).toBe(true);
    }
  });

  it('applies once per idempotency key and verifies health', async () => {
    const executor = simulatedExecutor.create(testDependencies(dir, { simCloudUrl: sim.url }));
    const service = { name: 'vpc', type: 'terraform', version: 'v1', simulate: { duration: '5ms' } };
    const first = await executor.apply(ctx(service, 'k-vpc-apply'));
    const again = await executor.apply(ctx(service, 'k-vpc-apply'));
    expect(first.outcome).toBe('created');
    expect(again.outcome).toBe('repeat');
    expect(again.resources).toEqual(first.resources);
    expect(first.outputs.vpc_id).toBe(first.resources[0].id);
    expect(await executor.verify(ctx(service, 'k-vpc-verify'))).toMatchObject({ healthy: true, version: 'v1' });
    expect(await new SimCloudClient(sim.url).resources()).toHaveLength(1);
  });

  it('classifies a 503 as transient and a 422 as permanent', async () => {
    const executor = simulatedExecutor.create(testDependencies(dir, { simCloudUrl: sim.url }));
    await expect(
      executor.apply(ctx({ name: 'flaky', type: 'shell', simulate: { fail_transient: 1 } }, 'k-flaky')),
    ).rejects.toBeInstanceOf(TransientDeployError);
    await expect(
      executor.apply(ctx({ name: 'broken', type: 'shell', simulate: { fail_permanent: true } }, 'k-broken')),
    ).rejects.toBeInstanceOf(PermanentDeployError);
  });

  it('passes simulate.unhealthy_after to the cloud: verify and the health endpoint turn after that long', async () => {
    let clock = 1_000_000;
    const timed = await startSimCloud({ port: 0, now: () => clock });
    try {
      const executor = simulatedExecutor.create(testDependencies(dir, { simCloudUrl: timed.url }));
      const service = { name: 'web', type: 'kubernetes', version: 'v7', simulate: { duration: '1ms', unhealthy_after: '2m' } };
      await executor.apply(ctx(service, 'k-web-apply'));
      expect(await executor.verify(ctx(service, 'k-web-verify'))).toMatchObject({ healthy: true, version: 'v7' });
      expect((await fetch(`${timed.url}/health/web`)).status).toBe(200);
      clock += 120_000;
      expect(await executor.verify(ctx(service, 'k-web-verify'))).toEqual({
        healthy: false,
        version: 'v7',
        detail: 'went unhealthy 120000 ms after its apply (simulate.unhealthy_after)',
      });
      expect((await fetch(`${timed.url}/health/web`)).status).toBe(503);
    } finally {
      await timed.close();
    }
  });

  it('stops waiting when cancelled', async () => {
    const cloud = new SimCloudClient(sim.url);
    await cloud.hold('slow', 'apply');
    const abort = new AbortController();
    const executor = simulatedExecutor.create(testDependencies(dir, { simCloudUrl: sim.url }));
    const call = executor.apply(ctx({ name: 'slow', type: 'shell' }, 'k-slow', abort.signal));
    await cloud.waitUntilHeld('slow', 'apply');
    abort.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    await cloud.release('slow', 'apply');
  });
});
