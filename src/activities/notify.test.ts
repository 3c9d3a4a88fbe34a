/**
 * Notifications against a real local HTTP receiver: the JSON a receiver gets, retries on 5xx and
 * 429, a dead receiver answered (never thrown), cancellation honoured, and no webhook token in
 * what comes back.
 */
import { closedPortUrl, startTestServer, type TestServer } from '../executors/http/test-server';
import type { NotifyInput } from '../api/workflow-types';
import { waitFor } from '../../test/support/wait';
import { sendNotification, type NotifyOptions } from './notify';

describe('sendNotification', () => {
  let receiver: TestServer;
  beforeAll(async () => {
    receiver = await startTestServer();
  });
  beforeEach(() => {
    receiver.requests.length = 0;
    receiver.handle((_req, res) => res.end('ok'));
  });
  afterAll(() => receiver.close());

  // A Slack-style hook: the token is the path.
  const TOKEN_PATH = '/services/T000SECRET/B000SECRET/xoxTOKENxyz123';
  const input = (overrides: Partial<NotifyInput> = {}): NotifyInput => ({
    key: 'dep-1:halted:3',
    webhook: `${receiver.url}${TOKEN_PATH}?token=querysecret42`,
    event: 'halted',
    deploymentId: 'dep-1',
    name: 'shop',
    environment: 'prod',
    phase: 'HALTED',
    text: 'shop/prod halted: payments failed',
    service: 'payments',
    fields: { failed: ['payments'], reason: 'apply failed' },
    ...overrides,
  });
  const fast: NotifyOptions = { backoffMs: [20, 40], timeoutMs: 2_000 };
  const never = () => new AbortController().signal;
  const expectNoSecret = (text: string) => {
    expect(text).not.toContain('T000SECRET');
    expect(text).not.toContain('xoxTOKENxyz123');
    expect(text).not.toContain('querysecret42');
    expect(text).not.toContain('/services/');
  };

  it('posts the Slack text and the structured fields as JSON with the idempotency key', async () => {
    const result = await sendNotification(input(), never(), fast);
    expect(result).toEqual({ delivered: true, detail: `${receiver.url} answered 200` });
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request).toMatchObject({ method: 'POST', path: `${TOKEN_PATH}?token=querysecret42` });
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['idempotency-key']).toBe('dep-1:halted:3');
    expect(JSON.parse(request.body)).toEqual({
      text: 'shop/prod halted: payments failed',
      event: 'halted',
      deploymentId: 'dep-1',
      name: 'shop',
      environment: 'prod',
      phase: 'HALTED',
      service: 'payments',
      fields: { failed: ['payments'], reason: 'apply failed' },
      key: 'dep-1:halted:3',
    });
  });

  it('percent-encodes a key that is not plain ASCII in the header, and keeps it as is in the body', async () => {
    const result = await sendNotification(input({ key: 'dép 1:halted:1' }), never(), fast);
    expect(result.delivered).toBe(true);
    expect(receiver.requests[0].headers['idempotency-key']).toBe('d%C3%A9p%201%3Ahalted%3A1');
    expect(JSON.parse(receiver.requests[0].body)).toMatchObject({ key: 'dép 1:halted:1' });
  });

  it('leaves out the optional fields it was not given', async () => {
    await sendNotification(input({ service: undefined, fields: undefined, event: 'succeeded' }), never(), fast);
    const body = JSON.parse(receiver.requests[0].body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['deploymentId', 'environment', 'event', 'key', 'name', 'phase', 'text']);
  });

  it('retries a 500 and delivers on the next try, with the same key', async () => {
    receiver.handle((_req, res) => {
      res.statusCode = receiver.requests.length === 1 ? 500 : 200;
      res.end();
    });
    const result = await sendNotification(input(), never(), fast);
    expect(result).toEqual({ delivered: true, detail: `${receiver.url} answered 200 after 2 tries` });
    expect(receiver.requests.map((r) => r.headers['idempotency-key'])).toEqual(['dep-1:halted:3', 'dep-1:halted:3']);
    // The backoff was waited out between the tries.
    expect(receiver.requests[1].at - receiver.requests[0].at).toBeGreaterThanOrEqual(20);
  });

  it('retries a 429, then gives up after three tries, delivered false with the status', async () => {
    receiver.handle((_req, res) => {
      res.writeHead(429, { 'retry-after': '0' });
      res.end('slow down');
    });
    const result = await sendNotification(input(), never(), fast);
    expect(result.delivered).toBe(false);
    expect(result.detail).toBe(`${receiver.url} answered 429 (slow down); gave up after 3 tries`);
    expect(receiver.requests).toHaveLength(3);
  });

  it('does not retry a 4xx other than 429, and names the status', async () => {
    receiver.handle((_req, res) => {
      res.statusCode = 404;
      res.end('no_service');
    });
    const result = await sendNotification(input(), never(), fast);
    expect(result).toEqual({ delivered: false, detail: `${receiver.url} answered 404 (no_service); not retried` });
    expect(receiver.requests).toHaveLength(1);
  });

  it('answers delivered false for a closed port, quickly, without the token', async () => {
    const dead = await closedPortUrl();
    const started = Date.now();
    const result = await sendNotification(input({ webhook: `${dead}${TOKEN_PATH}?token=querysecret42` }), never(), fast);
    const took = Date.now() - started;
    expect(result.delivered).toBe(false);
    expect(result.detail).toBe(`${dead} could not be reached: connection refused; gave up after 3 tries`);
    // Two short backoffs and three refused connections, nowhere near one POST's timeout.
    expect(took).toBeLessThan(1_500);
    expectNoSecret(result.detail);
  });

  it('the default backoff gives a dead receiver three tries in about 1.5 s', async () => {
    const dead = await closedPortUrl();
    const started = Date.now();
    const result = await sendNotification(input({ webhook: `${dead}/hook` }), never());
    const took = Date.now() - started;
    expect(result).toMatchObject({ delivered: false, detail: expect.stringContaining('gave up after 3 tries') });
    expect(took).toBeGreaterThanOrEqual(1_500);
    expect(took).toBeLessThan(4_000);
  });

  it('bounds each POST by its timeout and says so', async () => {
    receiver.handle(() => undefined); // never answers
    const result = await sendNotification(input(), never(), { backoffMs: [], timeoutMs: 200 });
    expect(result).toEqual({ delivered: false, detail: `${receiver.url} gave no answer within 200 ms; gave up after 1 try` });
  });

  it('never names the webhook path or query, even when the receiver echoes them', async () => {
    receiver.handle((req, res) => {
      res.statusCode = 403;
      res.end(`forbidden: ${req.path}`);
    });
    const result = await sendNotification(input(), never(), fast);
    expect(result.delivered).toBe(false);
    expect(result.detail).toMatch(/^http:\/\/127\.0\.0\.1:\d+ answered 403 \(forbidden: …\); not retried$/);
    expectNoSecret(result.detail);
  });

  it('answers delivered false for a webhook that is not a URL, without quoting it', async () => {
    const result = await sendNotification(input({ webhook: 'not a url/T000SECRET' }), never(), fast);
    expect(result.delivered).toBe(false);
    expect(result.detail).toMatch(/notify\[\]\.webhook/);
    expectNoSecret(result.detail);
    expect(receiver.requests).toHaveLength(0);
  });

  it('stops when cancelled: during a held POST, and during the backoff', async () => {
    receiver.handle(() => undefined); // holds every request
    const held = new AbortController();
    const sending = sendNotification(input(), held.signal, fast);
    await waitForRequests(1);
    const reason = new Error('cancelled by the workflow');
    held.abort(reason);
    await expect(sending).rejects.toBe(reason);

    receiver.handle((_req, res) => {
      res.statusCode = 503;
      res.end();
    });
    receiver.requests.length = 0;
    const backingOff = new AbortController();
    const started = Date.now();
    const retrying = sendNotification(input(), backingOff.signal, { backoffMs: [60_000] });
    await waitForRequests(1);
    backingOff.abort(reason);
    await expect(retrying).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(receiver.requests).toHaveLength(1);
  });

  async function waitForRequests(count: number): Promise<void> {
    await waitFor(() => receiver.requests.length >= count || undefined, { what: `${count} request(s) at the receiver`, timeoutMs: 5_000 });
  }

  it('resolves a secret-reference webhook inside the activity, so the URL never travels in its input', async () => {
    const env = { SLACK_WEBHOOK: `${receiver.url}${TOKEN_PATH}` };
    const result = await sendNotification(input({ webhook: { secret: 'env:SLACK_WEBHOOK' } }), never(), { ...fast, env });
    expect(result).toEqual({ delivered: true, detail: `${receiver.url} answered 200` });
    expect(receiver.requests[0].path).toBe(TOKEN_PATH);
  });

  it('answers (never throws) when the reference cannot be read or is not a URL, naming the reference and not a value', async () => {
    const unset = await sendNotification(input({ webhook: { secret: 'env:NOT_SET_ANYWHERE' } }), never(), { ...fast, env: {} });
    expect(unset.delivered).toBe(false);
    expect(unset.detail).toMatch(/NOT_SET_ANYWHERE is not set/);
    const notUrl = await sendNotification(input({ webhook: { secret: 'env:HOOK' } }), never(), { ...fast, env: { HOOK: 'ftp://files.example.com/xoxTOKENxyz123' } });
    expect(notUrl).toEqual({ delivered: false, detail: 'the webhook is not a valid http(s) URL; fix the value of [secret env:HOOK]' });
    expectNoSecret(notUrl.detail);
    expect(receiver.requests).toHaveLength(0);
  });
});
