/**
 * `simulate.unhealthy_after`: a service that deployed fine goes bad a while later (a release going
 * bad during the bake window). Measured on the cloud's own clock, which this test moves itself.
 */
import type { ErrorBody, ServiceHealth } from '../../src/simcloud';
import { applyRequest, newKey, useTestCloud } from './helpers';

let clock = Date.parse('2030-01-01T00:00:00Z');
const cloud = useTestCloud({ now: () => clock });

const healthOf = async (service: string): Promise<{ status: number; body: ServiceHealth }> => {
  const res = await fetch(`${cloud().server.url}/health/${service}`);
  return { status: res.status, body: (await res.json()) as ServiceHealth };
};
const verify = (service: string, simulate?: { unhealthy_after_ms?: number }) =>
  cloud().client.verify({ service, deploymentId: 'dep-1', idempotencyKey: newKey(`verify-${service}`), simulate });

describe('unhealthy_after', () => {
  test('health and verify turn unhealthy once that long has passed since the apply completed', async () => {
    const applied = await cloud().client.apply(applyRequest('web', { version: 'v2', simulate: { unhealthy_after_ms: 30_000 } }));
    expect(await healthOf('web')).toEqual({ status: 200, body: { status: 'healthy', version: 'v2' } });
    expect(await verify('web')).toMatchObject({ healthy: true, outcome: 'verified' });

    clock += 29_999;
    expect((await healthOf('web')).status).toBe(200);
    expect((await verify('web')).healthy).toBe(true);

    clock += 1;
    expect(await healthOf('web')).toEqual({
      status: 503,
      body: { status: 'unhealthy', version: 'v2', detail: 'went unhealthy 30000 ms after its apply (simulate.unhealthy_after)' },
    });
    const bad = await verify('web');
    expect(bad).toMatchObject({ healthy: false, outcome: 'unhealthy', version: 'v2', detail: expect.stringContaining('simulate.unhealthy_after') });
    // The call log says why too.
    const [lastVerify] = (await cloud().client.calls({ service: 'web', op: 'verify' })).slice(-1);
    expect(lastVerify).toMatchObject({ outcome: 'unhealthy', detail: expect.stringContaining('30000 ms after its apply') });
    // Only health went bad: the state the apply produced is still there.
    expect(await cloud().client.getService('web')).toMatchObject({ version: 'v2', outputs: applied.outputs });
  });

  test('a service without it stays healthy however long it runs', async () => {
    await cloud().client.apply(applyRequest('api'));
    clock += 24 * 3_600_000;
    expect((await healthOf('api')).status).toBe(200);
    expect((await verify('api')).healthy).toBe(true);
  });

  test('a new apply restarts the count, a repeat does not, and a restored state is healthy', async () => {
    const first = applyRequest('db', { version: 'v1' });
    await cloud().client.apply(first);
    const v2 = await cloud().client.apply(applyRequest('db', { version: 'v2', deploymentId: 'dep-2', simulate: { unhealthy_after_ms: 1_000 } }));
    clock += 600;
    // Replaying the v2 apply's key changes nothing, the clock included.
    const v2Key = (await cloud().client.calls({ service: 'db', op: 'apply' }))[1].idempotencyKey;
    await cloud().client.apply(applyRequest('db', { version: 'v2', deploymentId: 'dep-2', idempotencyKey: v2Key, simulate: { unhealthy_after_ms: 1_000 } }));
    clock += 400;
    expect((await healthOf('db')).body.status).toBe('unhealthy');

    await cloud().client.apply(applyRequest('db', { version: 'v3', deploymentId: 'dep-3', simulate: { unhealthy_after_ms: 1_000 } }));
    expect((await healthOf('db')).body).toEqual({ status: 'healthy', version: 'v3' });
    clock += 1_000;
    expect((await healthOf('db')).body.status).toBe('unhealthy');

    // Rolling back to what was there before v2 (v1, applied without the fault) heals it.
    await cloud().client.compensate({ service: 'db', deploymentId: 'dep-2', idempotencyKey: newKey('undo'), action: 'restore', previous: v2.previous });
    expect(await healthOf('db')).toEqual({ status: 200, body: { status: 'healthy', version: 'v1' } });
  });

  test('verify may ask for it, and an override sets it for a service already deployed', async () => {
    await cloud().client.apply(applyRequest('cache'));
    clock += 5_000;
    expect((await verify('cache', { unhealthy_after_ms: 5_000 })).healthy).toBe(false);
    expect((await verify('cache', { unhealthy_after_ms: 5_001 })).healthy).toBe(true);

    await cloud().client.setOverride('cache', { unhealthy_after_ms: 0 });
    expect((await healthOf('cache')).body.status).toBe('unhealthy');
    expect((await verify('cache')).healthy).toBe(false);
    await cloud().client.clearOverride('cache');
    expect((await healthOf('cache')).body.status).toBe('healthy');
  });

  test('a malformed value is refused, naming the field', async () => {
    const res = await fetch(`${cloud().server.url}/services/x/apply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deploymentId: 'd', type: 'shell', idempotencyKey: 'k', simulate: { unhealthy_after_ms: '2s' } }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.message).toMatch(/"unhealthy_after_ms" must be a non-negative integer/);
  });

  test('survives a restart: the apply time is kept with the state', async () => {
    await cloud().client.apply(applyRequest('queue', { simulate: { unhealthy_after_ms: 2_000 } }));
    await cloud().restart();
    clock += 1_999;
    expect((await healthOf('queue')).body.status).toBe('healthy');
    clock += 1;
    expect((await healthOf('queue')).body.status).toBe('unhealthy');
  });
});
