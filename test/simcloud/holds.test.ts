import { SimCloudError } from '../../src/simcloud';
import { applyRequest, eventually, newKey, useTestCloud } from './helpers';

const cloud = useTestCloud();

const applyReq = (service: string, idempotencyKey = newKey(service)) =>
  applyRequest(service, { deploymentId: 'dep-h', type: 'docker', idempotencyKey });

describe('holds', () => {
  test('a held apply is visible in flight and completes after release', async () => {
    const { client } = cloud();
    await client.hold('api', 'apply');
    const pending = client.apply(applyReq('api'));
    await client.waitUntilHeld('api', 'apply');

    expect(await client.holds()).toEqual([{ service: 'api', op: 'apply', waiting: 1 }]);
    const [inFlight] = await client.calls({ service: 'api' });
    expect(inFlight).toMatchObject({ op: 'apply', completedSeq: null, outcome: null });
    expect(await client.getService('api')).toBeNull(); // held before its side effect

    await client.release('api', 'apply');
    const result = await pending;
    expect(result.outcome).toBe('created');
    expect(result.seq).toBe(inFlight.seq);
    expect(result.completedSeq).toBeGreaterThan(result.seq);
    expect(await client.holds()).toEqual([]);
    const [done] = await client.calls({ service: 'api' });
    expect(done).toMatchObject({ seq: inFlight.seq, completedSeq: result.completedSeq, outcome: 'created' });
  });

  test('two held applies are in flight at once (overlapping seq ranges)', async () => {
    const { client } = cloud();
    await client.hold('a', 'apply');
    await client.hold('b', 'apply');
    const pendingA = client.apply(applyReq('a'));
    const pendingB = client.apply(applyReq('b'));
    await client.waitUntilHeld('a', 'apply');
    await client.waitUntilHeld('b', 'apply');
    const inFlight = await client.calls({ op: 'apply' });
    expect(inFlight.map((c) => c.completedSeq)).toEqual([null, null]);

    await client.release('b', 'apply');
    await client.release('a', 'apply');
    const [a, b] = await Promise.all([pendingA, pendingB]);
    expect(a.seq).toBeLessThan(b.completedSeq);
    expect(b.seq).toBeLessThan(a.completedSeq);
    // Released b first, so b completed first even though a may have arrived first.
    expect(b.completedSeq).toBeLessThan(a.completedSeq);
  });

  test('waitUntilHeld counts several waiters and names what it waited for on timeout', async () => {
    const { client } = cloud();
    await client.hold('multi', 'apply');
    const pending = [client.apply(applyReq('multi')), client.apply(applyReq('multi'))];
    await client.waitUntilHeld('multi', 'apply', { count: 2 });
    await expect(client.waitUntilHeld('multi', 'apply', { count: 3, timeoutMs: 200 })).rejects.toThrow(
      /3 request\(s\) held on apply of "multi"; 2 waiting/,
    );
    await expect(client.waitUntilHeld('other', 'verify', { timeoutMs: 100 })).rejects.toThrow(/not set/);
    await client.release('multi', 'apply');
    const outcomes = (await Promise.all(pending)).map((r) => r.outcome).sort();
    expect(outcomes).toEqual(['created', 'updated']);
  });

  test('an aborted client rejects promptly with the AbortError; the call still completes; a retry is a repeat', async () => {
    const { client } = cloud();
    await client.hold('gone', 'apply');
    const key = newKey('gone');
    const controller = new AbortController();
    const pending = client.apply(applyReq('gone', key), controller.signal);
    await client.waitUntilHeld('gone', 'apply');
    controller.abort();
    const err = await pending.catch((e: unknown) => e);
    // A DOMException, from another realm under jest: check by name, not instanceof Error.
    expect((err as Error).name).toBe('AbortError');
    expect(err).not.toBeInstanceOf(SimCloudError);

    await client.release('gone', 'apply');
    await eventually('the abandoned apply to complete', async () => {
      const [call] = await client.calls({ service: 'gone' });
      return call?.outcome === 'created';
    });
    const retry = await client.apply(applyReq('gone', key));
    expect(retry.outcome).toBe('repeat');
    expect(await client.resources()).toHaveLength(1);
  });

  test('verify can be held too, and reports health', async () => {
    const { client } = cloud();
    const absent = await client.verify({ service: 'svc', deploymentId: 'dep-h', idempotencyKey: newKey() });
    expect(absent).toMatchObject({ healthy: false, outcome: 'unhealthy', version: null });

    await client.apply(applyReq('svc'));
    await client.hold('svc', 'verify');
    const pending = client.verify({ service: 'svc', deploymentId: 'dep-h', idempotencyKey: newKey() });
    await client.waitUntilHeld('svc', 'verify');
    await client.release('svc', 'verify');
    expect(await pending).toMatchObject({ healthy: true, outcome: 'verified', version: 'v1' });
  });
});
