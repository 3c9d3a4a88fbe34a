import { SimCloudTransientError, type CompensateRequest } from '../../src/simcloud';
import { applyRequest, newKey, useTestCloud } from './helpers';

const cloud = useTestCloud();

const apply = (service: string, version: string, deploymentId = 'dep-1') =>
  cloud().client.apply(applyRequest(service, { type: 'terraform', version, deploymentId }));

const compensateReq = (service: string, over: Partial<CompensateRequest>): CompensateRequest => ({
  service,
  deploymentId: 'dep-2',
  idempotencyKey: newKey(`undo-${service}`),
  action: 'delete',
  ...over,
});

describe('compensate', () => {
  test('delete removes the record and its resources; deleting again is a noop', async () => {
    const { client } = cloud();
    await apply('orders-db', 'v1');
    await apply('keep-vpc', 'v1');
    const deleted = await client.compensate(compensateReq('orders-db', { action: 'delete' }));
    expect(deleted).toMatchObject({ outcome: 'deleted', action: 'delete', record: null });
    expect(await client.getService('orders-db')).toBeNull();
    expect((await client.resources()).map((r) => r.service)).toEqual(['keep-vpc']);

    const again = await client.compensate(compensateReq('orders-db', { action: 'delete' }));
    expect(again.outcome).toBe('noop');
  });

  test('restore puts back the previous version, outputs and resource IDs', async () => {
    const { client } = cloud();
    const v1 = await apply('core-vpc', 'v1', 'dep-1');
    const v2 = await apply('core-vpc', 'v2', 'dep-2');
    expect(v2.previous).not.toBeNull();

    const restored = await client.compensate(compensateReq('core-vpc', { action: 'restore', previous: v2.previous }));
    expect(restored.outcome).toBe('restored');
    const record = await client.getService('core-vpc');
    expect(record).toEqual({
      service: 'core-vpc',
      deploymentId: 'dep-1',
      version: 'v1',
      outputs: v1.outputs,
      resources: v1.resources,
      healthy: true,
    });
    expect(await client.resources()).toEqual(v1.resources);
  });

  test('restore recreates missing resources with their old IDs', async () => {
    const { client } = cloud();
    const v1 = await apply('stack-a', 'v1');
    await client.compensate(compensateReq('stack-a', { action: 'delete' }));
    expect(await client.resources()).toEqual([]);
    const previous = { version: v1.version, outputs: v1.outputs, resources: v1.resources };
    await client.compensate(compensateReq('stack-a', { action: 'restore', previous }));
    expect((await client.resources()).map((r) => r.id)).toEqual(v1.resources.map((r) => r.id));
    expect((await client.health('stack-a')).status).toBe('healthy');
  });

  test('restore without a previous state removes a service that did not exist before', async () => {
    const { client } = cloud();
    const created = await apply('fresh', 'v1');
    const result = await client.compensate(
      compensateReq('fresh', { action: 'restore', previous: created.previous }),
    );
    expect(result.outcome).toBe('deleted');
    expect(await client.getService('fresh')).toBeNull();
  });

  test('retain changes nothing', async () => {
    const { client } = cloud();
    await apply('main-database', 'v1');
    const before = await client.getService('main-database');
    const result = await client.compensate(compensateReq('main-database', { action: 'retain' }));
    expect(result).toMatchObject({ outcome: 'retained', record: before });
    expect(await client.getService('main-database')).toEqual(before);
  });

  test('fail_compensation fails every time until an override fixes it', async () => {
    const { client } = cloud();
    await apply('broken', 'v1');
    const req = compensateReq('broken', { action: 'delete', simulate: { fail_compensation: true } });
    for (let i = 0; i < 3; i++) {
      const err = await client.compensate(req).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SimCloudTransientError);
      expect(err).toMatchObject({ status: 500, code: 'compensation_failed', retryable: true });
    }
    expect(await client.getService('broken')).not.toBeNull();

    await client.setOverride('broken', { fail_compensation: false });
    expect((await client.compensate(req)).outcome).toBe('deleted');
    expect(await client.getService('broken')).toBeNull();
    const outcomes = (await client.calls({ service: 'broken', op: 'compensate' })).map((c) => c.outcome);
    expect(outcomes).toEqual(['transient_error', 'transient_error', 'transient_error', 'deleted']);
  });

  test('idempotent by key: a repeat answers the stored result and does not act again', async () => {
    const { client } = cloud();
    const v1 = await apply('idem', 'v1');
    const req = compensateReq('idem', { action: 'delete' });
    const first = await client.compensate(req);
    // Re-deploy, then replay the same compensation: it must not delete the new deployment.
    await apply('idem', 'v2');
    const repeat = await client.compensate(req);
    expect(repeat).toMatchObject({ outcome: 'repeat', firstOutcome: 'deleted', seq: first.seq });
    expect(await client.getService('idem')).toMatchObject({ version: 'v2' });
    expect((await client.resources()).map((r) => r.id)).not.toEqual(v1.resources.map((r) => r.id));
  });
});
