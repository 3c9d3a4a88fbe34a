import {
  SimCloudPermanentError,
  SimCloudTransientError,
  type SimServiceType,
} from '../../src/simcloud';
import { applyRequest, eventually, newKey, useTestCloud } from './helpers';

const cloud = useTestCloud();

describe('apply', () => {
  test('creates; the same key is a repeat (no new resource); a new key updates keeping resource IDs', async () => {
    const { client } = cloud();
    const key = newKey('api');
    const created = await client.apply(applyRequest('api', { idempotencyKey: key }));
    expect(created.outcome).toBe('created');
    expect(created.previous).toBeNull();
    expect(created.resources).toHaveLength(1);
    expect(created.completedSeq).toBeGreaterThan(created.seq);
    const repeat = await client.apply(applyRequest('api', { idempotencyKey: key, version: 'ignored' }));
    expect(repeat.outcome).toBe('repeat');
    expect(repeat.firstOutcome).toBe('created');
    expect(repeat.resources).toEqual(created.resources);
    expect(repeat.seq).toBe(created.seq);
    expect(await client.resources()).toHaveLength(1);

    const updated = await client.apply(applyRequest('api', { version: 'v2', deploymentId: 'dep-2' }));
    expect(updated.outcome).toBe('updated');
    expect(updated.resources.map((r) => r.id)).toEqual(created.resources.map((r) => r.id));
    expect(updated.resources[0]).toMatchObject({ version: 'v2', deploymentId: 'dep-2' });
    expect(updated.outputs.version).toBe('v2');
    expect(updated.previous).toMatchObject({ version: 'v1', deploymentId: 'dep-1', resources: created.resources });

    const record = await client.getService('api');
    expect(record).toMatchObject({ version: 'v2', deploymentId: 'dep-2', healthy: true });
    expect(await client.resources()).toHaveLength(1);

    const calls = await client.calls({ service: 'api', op: 'apply' });
    expect(calls.map((c) => c.outcome)).toEqual(['created', 'repeat', 'updated']);
  });

  test.each<[SimServiceType, string, string, Record<string, string | RegExp>]>([
    ['terraform', 'core-vpc', 'vpc', { vpc_id: /^vpc-[0-9a-f]{6}$/, cidr: /^10\.\d+\.0\.0\/16$/ }],
    ['terraform', 'orders-db', 'database', { db_id: /^database-/, endpoint: 'orders-db.db.sim.local:5432' }],
    ['terraform', 'postgres-main', 'database', { db_id: /^database-/, endpoint: 'postgres-main.db.sim.local:5432' }],
    ['terraform', 'dns', 'stack', { id: /^stack-/ }],
    ['kubernetes', 'eks-cluster', 'cluster', { cluster_id: /^cluster-/, endpoint: /sim\.local/ }],
    ['kubernetes', 'web', 'deployment', { deployment_id: /^deployment-/, url: 'http://web.apps.sim.local' }],
    ['monitoring', 'grafana', 'dashboard', { dashboard_url: /grafana/ }],
    ['docker', 'worker', 'container', { id: /^container-/ }],
    ['shell', 'migrate', 'job', { id: /^job-/ }],
    ['http', 'hook', 'endpoint', { id: /^endpoint-/ }],
  ])('%s service "%s" creates a %s with its outputs', async (type, name, kind, outputs) => {
    const result = await cloud().client.apply(applyRequest(name, { type, version: '1.2.3' }));
    expect(result.resources).toEqual([expect.objectContaining({ kind, service: name, version: '1.2.3' })]);
    expect(result.resources[0].id).toMatch(new RegExp(`^${kind}-[0-9a-f]{6}$`));
    expect(result.outputs).toEqual(
      Object.fromEntries([
        ...Object.entries(outputs).map(([k, v]) => [k, typeof v === 'string' ? v : expect.stringMatching(v)]),
        ['version', '1.2.3'],
      ]),
    );
  });

  test('concurrent applies with the same key create exactly once', async () => {
    const key = newKey('race');
    await cloud().client.hold('race', 'apply');
    const attempts = Array.from({ length: 5 }, () => cloud().client.apply(applyRequest('race', { idempotencyKey: key })));
    // Only the first attempt reaches the hold; the others wait for it (single flight).
    await cloud().client.waitUntilHeld('race', 'apply');
    await eventually('all five applies in flight', async () => {
      const calls = await cloud().client.calls({ service: 'race' });
      return calls.length === 5 && calls.every((c) => c.completedSeq === null);
    });
    expect((await cloud().client.holds())[0]).toMatchObject({ service: 'race', op: 'apply', waiting: 1 });
    await cloud().client.release('race', 'apply');
    const results = await Promise.all(attempts);
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'repeat')).toHaveLength(4);
    expect(new Set(results.map((r) => r.resources[0].id)).size).toBe(1);
    expect(await cloud().client.resources()).toHaveLength(1);
    const outcomes = (await cloud().client.calls({ service: 'race' })).map((c) => c.outcome).sort();
    expect(outcomes).toEqual(['created', 'repeat', 'repeat', 'repeat', 'repeat']);
  });

  test('fail_transient: N fails N times per key with 503, then succeeds; a new key starts over', async () => {
    const req = applyRequest('flaky', { simulate: { fail_transient: 2 } });
    for (const attempt of [1, 2]) {
      const err = await cloud().client.apply(req).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SimCloudTransientError);
      expect(err).toMatchObject({ status: 503, code: 'unavailable', retryable: true });
      expect((err as Error).message).toContain(`${attempt} of 2`);
    }
    expect((await cloud().client.apply(req)).outcome).toBe('created');
    expect((await cloud().client.apply(req)).outcome).toBe('repeat');

    const otherKey = { ...req, idempotencyKey: newKey('flaky') };
    await expect(cloud().client.apply(otherKey)).rejects.toBeInstanceOf(SimCloudTransientError);

    const outcomes = (await cloud().client.calls({ service: 'flaky' })).map((c) => c.outcome);
    expect(outcomes).toEqual(['transient_error', 'transient_error', 'created', 'repeat', 'transient_error']);
  });

  test('fail_permanent answers 422, a permanent error, and creates nothing', async () => {
    const err = await cloud().client
      .apply(applyRequest('doomed', { simulate: { fail_permanent: true } }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimCloudPermanentError);
    expect(err).toMatchObject({ status: 422, code: 'permanent', retryable: false });
    expect(await cloud().client.getService('doomed')).toBeNull();
    expect(await cloud().client.resources()).toEqual([]);
    expect((await cloud().client.calls({ service: 'doomed' }))[0]).toMatchObject({ outcome: 'permanent_error' });
  });

  test('an override replaces the faults callers ask for', async () => {
    await cloud().client.setOverride('fixed', { fail_permanent: false });
    const result = await cloud().client.apply(applyRequest('fixed', { simulate: { fail_permanent: true } }));
    expect(result.outcome).toBe('created');
    await cloud().client.clearOverride('fixed');
    await expect(
      cloud().client.apply(applyRequest('fixed', { simulate: { fail_permanent: true } })),
    ).rejects.toBeInstanceOf(SimCloudPermanentError);
  });
});
