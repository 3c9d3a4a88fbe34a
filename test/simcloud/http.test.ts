import { SimCloudClient, SimCloudTransientError, startSimCloud, type ErrorBody } from '../../src/simcloud';
import { newKey, useTestCloud } from './helpers';

const cloud = useTestCloud();

const errorOf = async (res: Response) => ((await res.json()) as ErrorBody).error;

const post = (path: string, body: string) =>
  fetch(cloud().server.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('HTTP surface', () => {
  test('GET /health and /health/:service', async () => {
    expect(await cloud().client.ping()).toBe(true);
    const absent = await fetch(`${cloud().server.url}/health/web`);
    expect(absent.status).toBe(503);
    expect(await absent.json()).toEqual({ status: 'absent' });

    await cloud().client.apply({ service: 'web', deploymentId: 'd', type: 'http', version: '9', idempotencyKey: newKey() });
    const healthy = await fetch(`${cloud().server.url}/health/web`);
    expect(healthy.status).toBe(200);
    expect(await healthy.json()).toEqual({ status: 'healthy', version: '9' });
    expect(await cloud().client.health('web')).toEqual({ status: 'healthy', version: '9' });
  });

  test('unknown routes answer 404 listing the routes', async () => {
    const res = await fetch(`${cloud().server.url}/nope`);
    expect(res.status).toBe(404);
    const error = await errorOf(res);
    expect(error).toMatchObject({ code: 'not_found', retryable: false });
    expect(error.message).toContain('POST /services/:service/apply');
    expect(error.message).toContain('GET /control/holds');

    const missing = await fetch(`${cloud().server.url}/services/ghost`);
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).code).toBe('not_found');
    expect(await cloud().client.getService('ghost')).toBeNull();
  });

  test('malformed JSON and missing fields answer 400 naming the problem', async () => {
    const malformed = await post('/services/x/apply', '{"deploymentId":');
    expect(malformed.status).toBe(400);
    expect((await errorOf(malformed))).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/malformed JSON/) });

    const missingKey = await post('/services/x/apply', JSON.stringify({ deploymentId: 'd', type: 'shell' }));
    expect(missingKey.status).toBe(400);
    expect((await errorOf(missingKey)).message).toMatch(/"idempotencyKey"/);

    const badType = await post('/services/x/apply', JSON.stringify({ deploymentId: 'd', type: 'ftp', idempotencyKey: 'k' }));
    expect((await errorOf(badType)).message).toMatch(/"type".*terraform/);

    const badAction = await post(
      '/services/x/compensate',
      JSON.stringify({ deploymentId: 'd', idempotencyKey: 'k', action: 'explode' }),
    );
    expect((await errorOf(badAction)).message).toMatch(/"action"/);

    const badHold = await post('/control/holds', JSON.stringify({ service: 'x', op: 'dance' }));
    expect(badHold.status).toBe(400);
    expect((await errorOf(badHold)).message).toMatch(/"op"/);
    // Rejected requests never reach the call log.
    expect(await cloud().client.calls()).toEqual([]);
  });

  test('network failures are transient errors', async () => {
    const server = await startSimCloud({});
    const url = server.url;
    await server.close();
    const err = await new SimCloudClient(url).resources().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimCloudTransientError);
    expect(err).toMatchObject({ code: 'ECONNREFUSED', status: 0 });
    expect(await new SimCloudClient(url).ping()).toBe(false);
  });

  test('a request timeout is a transient error (the held call goes on)', async () => {
    await cloud().client.hold('slow', 'apply');
    const impatient = new SimCloudClient(cloud().server.url, { requestTimeoutMs: 200 });
    const req = { service: 'slow', deploymentId: 'd', type: 'shell' as const, idempotencyKey: newKey() };
    const err = await impatient.apply(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimCloudTransientError);
    expect(err).toMatchObject({ code: 'timeout' });
    await cloud().client.waitUntilHeld('slow', 'apply');
    await cloud().client.release('slow', 'apply');
    expect((await cloud().client.apply(req)).outcome).toBe('repeat');
    expect(await cloud().client.resources()).toHaveLength(1);
  });
});
