/**
 * A service's own health check against a real local HTTP server: one probe answers healthy only on
 * the expected status, never throws for an unhealthy service, and stops for cancellation; repeated
 * by probeUntilHealthy it rides out a service that is still starting.
 */
import { serviceHealthCheckSchema, type ServiceHealthCheckSpec } from '../manifest/schema';
import { closedPortUrl, startTestServer, type TestServer } from '../executors/http/test-server';
import { waitFor } from '../../test/support/wait';
import { probeUntilHealthy } from './converge';
import { probeHealthCheck } from './service-health';

describe('per-service health check', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  beforeEach(() => {
    server.requests.length = 0;
  });
  afterAll(() => server.close());

  const check = (fields: Partial<ServiceHealthCheckSpec> & { url: string }): ServiceHealthCheckSpec => serviceHealthCheckSchema.parse(fields);
  const answer = (status: number, headers: Record<string, string> = {}) =>
    server.handle((_req, res) => {
      res.writeHead(status, headers);
      res.end('body nobody reads');
    });
  const probe = (spec: ServiceHealthCheckSpec, signal = new AbortController().signal) => probeHealthCheck(spec, signal);

  it('is healthy on the expected status, with what it saw', async () => {
    answer(200);
    const outcome = await probe(check({ url: `${server.url}/health` }));
    expect(outcome.healthy).toBe(true);
    expect(outcome.detail).toMatch(new RegExp(`^GET ${server.url}/health → 200 \\(expected 200\\) in \\d+ ms$`));
    expect(server.requests[0]).toMatchObject({ method: 'GET', path: '/health' });
  });

  it('is unhealthy on a 503 and on any status but the expected one', async () => {
    answer(503);
    expect(await probe(check({ url: `${server.url}/health` }))).toMatchObject({ healthy: false, detail: expect.stringContaining('→ 503 (expected 200)') });
    answer(200);
    expect(await probe(check({ url: `${server.url}/health`, expected_status: 204 }))).toMatchObject({
      healthy: false,
      detail: expect.stringContaining('→ 200 (expected 204)'),
    });
    answer(204);
    expect((await probe(check({ url: `${server.url}/health`, expected_status: 204 }))).healthy).toBe(true);
  });

  it('does not follow a redirect: the endpoint itself must answer', async () => {
    server.handle((req, res) => {
      res.writeHead(req.path === '/health' ? 302 : 200, { Location: '/login' });
      res.end();
    });
    expect(await probe(check({ url: `${server.url}/health` }))).toMatchObject({ healthy: false, detail: expect.stringContaining('→ 302') });
    expect(server.requests.map((r) => r.path)).toEqual(['/health']);
  });

  it('is unhealthy, not an error, when the endpoint does not answer within the timeout', async () => {
    server.handle(() => undefined); // holds every request
    const started = Date.now();
    const outcome = await probe(check({ url: `${server.url}/slow`, timeout: '200ms' }));
    expect(outcome).toEqual({ healthy: false, detail: `GET ${server.url}/slow → no answer within 200 ms` });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('is unhealthy, not an error, when nothing listens', async () => {
    const url = `${await closedPortUrl()}/health`;
    expect(await probe(check({ url }))).toEqual({ healthy: false, detail: `GET ${url} → connection refused` });
  });

  it('rejects when cancelled, rather than reporting unhealthy', async () => {
    server.handle(() => undefined);
    const abort = new AbortController();
    const call = probe(check({ url: `${server.url}/held`, timeout: '30s' }), abort.signal);
    await waitFor(() => server.requests.length === 1, { what: 'the probe to arrive', timeoutMs: 5_000 });
    abort.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('repeated by probeUntilHealthy, waits out a service that is still starting', async () => {
    server.handle((_req, res) => {
      res.writeHead(server.requests.length < 3 ? 503 : 200);
      res.end();
    });
    const spec = check({ url: `${server.url}/health` });
    const signal = new AbortController().signal;
    const unhealthy: string[] = [];
    const outcome = await probeUntilHealthy(() => probeHealthCheck(spec, signal), {
      deadlineMs: Date.now() + 60_000,
      signal,
      sleep: async () => undefined, // the gaps between probes are converge.ts's business, tested there
      onUnhealthy: (o) => unhealthy.push(o.detail ?? ''),
    });
    expect(outcome.healthy).toBe(true);
    expect(unhealthy).toEqual([expect.stringContaining('→ 503'), expect.stringContaining('→ 503')]);
    expect(server.requests).toHaveLength(3);
  });
});
