/**
 * The http executor against a real local HTTP server: what the server receives (secrets resolved,
 * Idempotency-Key, undo markers), what comes back (outputs, resources, no secret values), how
 * answers are classified, and that Retry-After and cancellation are honoured.
 */
import fs from 'node:fs';
import { parseDocument } from 'yaml';
import { serviceSchema } from '../../manifest/schema';
import { waitFor } from '../../../test/support/wait';
import { PermanentDeployError, TransientDeployError } from '../errors';
import { tempDir, testContext, testDependencies } from '../testing';
import type { Executor, ExecutorContext } from '../types';
import { httpExecutor, HTTP_RESOURCE_KIND } from '.';
import { parseRetryAfter } from './request';
import { httpConfigSchema } from './schema';
import { closedPortUrl, json, startTestServer, type TestServer } from './test-server';

/** The error a call failed with; fails the test if it succeeded. */
async function failureOf(call: Promise<unknown>): Promise<Error> {
  const outcome = await call.then(
    (value) => ({ value }),
    (err: unknown) => ({ err }),
  );
  if (!('err' in outcome)) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.err).toBeInstanceOf(Error);
  return outcome.err as Error;
}

const TOKEN = 'Bearer tok-3f9a-supersecret';
const env = { ...process.env, API_TOKEN: TOKEN };

describe('http executor', () => {
  let server: TestServer;
  let dir: string;
  let executor: Executor;
  beforeAll(async () => {
    server = await startTestServer();
    dir = tempDir('httpexec');
  });
  beforeEach(() => {
    server.requests.length = 0;
    executor = httpExecutor.create(testDependencies(dir, { env }));
  });
  afterAll(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const service = (name: string, config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    name,
    type: 'http',
    version: 'v1',
    config,
    ...extra,
  });
  const ctx = (
    entry: Record<string, unknown>,
    opts: { deployment?: string; step?: 'apply' | 'verify' | 'compensate'; signal?: AbortSignal } = {},
  ): ExecutorContext => testContext(entry, { env, deployment: { id: opts.deployment ?? 'dep-a' }, step: opts.step, signal: opts.signal });
  const post = (path = '/deploys', extra: Record<string, unknown> = {}) => ({ method: 'POST', url: `${server.url}${path}`, ...extra });
  const state = (name: string) => testDependencies(dir).serviceState.getServiceState({ name: 'test', environment: 'dev', service: name });

  it('its examples are valid service entries with valid http configs', () => {
    expect(httpExecutor.examples.length).toBeGreaterThan(0);
    for (const example of httpExecutor.examples) {
      const [entry] = parseDocument(example).toJS() as Array<{ config: unknown }>;
      expect(serviceSchema.safeParse(entry).error).toBeUndefined();
      expect(httpConfigSchema.safeParse(entry.config).error).toBeUndefined();
    }
  });

  it('sends the JSON body with the secret header resolved and an Idempotency-Key, and keeps the secret out of results and state', async () => {
    server.handle((req, res) =>
      json(res, 201, { id: 'rel-42', release: { id: 'r-9', urls: ['https://a', 'https://b'], replicas: 3 }, echo: req.headers.authorization }),
    );
    const entry = service('release', {
      request: post('/deploys', { headers: { Authorization: { secret: 'env:API_TOKEN' } }, body: { service: 'web', version: 'v1', auth: { token: { secret: 'env:API_TOKEN' } } } }),
      outputs: { release_id: '$.release.id', second_url: '$.release.urls[1]', replicas: '$.release.replicas', echoed: '$.echo' },
    });
    const c = ctx(entry);
    const result = await executor.apply(c);

    const [received] = server.requests;
    expect(received).toMatchObject({ method: 'POST', path: '/deploys' });
    expect(received.headers.authorization).toBe(TOKEN);
    expect(received.headers['idempotency-key']).toBe(c.idempotencyKey);
    expect(received.headers['content-type']).toBe('application/json');
    expect(JSON.parse(received.body)).toEqual({ service: 'web', version: 'v1', auth: { token: TOKEN } });

    expect(result).toEqual({
      outcome: 'created',
      version: 'v1',
      outputs: { release_id: 'r-9', second_url: 'https://b', replicas: '3', echoed: '[secret env:API_TOKEN]' },
      resources: [{ id: 'rel-42', kind: HTTP_RESOURCE_KIND }],
    });
    const saved = await state('release');
    expect(saved).toMatchObject({ deploymentId: 'dep-a', executor: 'http', version: 'v1', outputs: result.outputs });
    expect(JSON.stringify(saved)).not.toContain('supersecret');
  });

  it('reports a re-run of the same step as it first ran, and a later deployment as an update', async () => {
    server.handle((_req, res) => json(res, 200, {}));
    const entry = service('rerun', { request: post() });
    expect((await executor.apply(ctx(entry))).outcome).toBe('created');
    expect((await executor.apply(ctx(entry))).outcome).toBe('created');
    const later = await executor.apply(ctx(entry, { deployment: 'dep-b' }));
    expect(later).toMatchObject({ outcome: 'updated', resources: [{ id: 'rerun:http', kind: HTTP_RESOURCE_KIND }] });
    // Both runs of dep-a's step carried the same key, so the server could dedupe them.
    expect(server.requests.map((r) => r.headers['idempotency-key'])).toEqual(['dep-a:rerun:apply', 'dep-a:rerun:apply', 'dep-b:rerun:apply']);
  });

  it("keeps the config's own Idempotency-Key and sends a string body as it is", async () => {
    server.handle((_req, res) => res.end());
    const entry = service('own-key', {
      request: { method: 'PUT', url: `${server.url}/purge`, headers: { 'idempotency-key': 'mine', 'Content-Type': 'text/plain' }, body: 'all' },
    });
    await executor.apply(ctx(entry));
    expect(server.requests[0]).toMatchObject({ method: 'PUT', body: 'all' });
    expect(server.requests[0].headers).toMatchObject({ 'idempotency-key': 'mine', 'content-type': 'text/plain' });
  });

  it('fails permanently, naming the output and its path, when the response lacks it', async () => {
    server.handle((_req, res) => json(res, 200, { release: {} }));
    const entry = service('no-output', { request: post(), outputs: { release_id: '$.release.id' } });
    const failure = executor.apply(ctx(entry));
    await expect(failure).rejects.toBeInstanceOf(PermanentDeployError);
    await expect(failure).rejects.toThrow('output release_id: $.release.id is not in the response');
    expect(await state('no-output')).toBeUndefined();

    server.handle((_req, res) => res.end('plain text'));
    await expect(executor.apply(ctx(entry))).rejects.toThrow(/release_id.*not JSON/);
  });

  it('classifies 503 as transient and 404 and 422 as permanent, quoting the body without the secret', async () => {
    const entry = service('classify', { request: post('/x', { headers: { Authorization: { secret: 'env:API_TOKEN' } } }) });
    server.handle((_req, res) => json(res, 503, { error: 'maintenance' }));
    await expect(executor.apply(ctx(entry))).rejects.toThrow(TransientDeployError);
    for (const status of [404, 422]) {
      server.handle((req, res) => json(res, status, { error: 'rejected', got: req.headers.authorization }));
      const err = await failureOf(executor.apply(ctx(entry)));
      expect(err).toBeInstanceOf(PermanentDeployError);
      expect(err.message).toContain(`POST ${server.url}/x answered ${status}`);
      expect(err.message).toContain('rejected');
      expect(err.message).toContain('[secret env:API_TOKEN]');
      expect(err.message).not.toContain('supersecret');
    }
  });

  it('does not follow a redirect: a POST re-sent elsewhere as a GET is no deploy; the failure names where it pointed', async () => {
    server.handle((req, res) => {
      if (req.path !== '/moved') return json(res, 200, { id: 'elsewhere' });
      res.writeHead(302, { Location: `${server.url}/elsewhere?auth=${req.headers.authorization}` });
      res.end();
    });
    const entry = service('redirected', { request: post('/moved', { headers: { Authorization: { secret: 'env:API_TOKEN' } } }) });
    const err = await failureOf(executor.apply(ctx(entry)));
    expect(err).toBeInstanceOf(PermanentDeployError);
    expect(err.message).toContain(`POST ${server.url}/moved answered 302 Found, a redirect to ${server.url}/elsewhere?auth=[secret env:API_TOKEN]`);
    expect(err.message).not.toContain('supersecret');
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /moved']);
    expect(await state('redirected')).toBeUndefined();
  });

  it('waits out a 429 Retry-After before failing transiently, so the retry does not come early', async () => {
    server.handle((_req, res) => json(res, 429, { error: 'slow down' }, { 'Retry-After': '1' }));
    const entry = service('throttled', { request: post() });
    await expect(executor.apply(ctx(entry))).rejects.toThrow(
      expect.objectContaining({ name: 'TransientDeployError', message: expect.stringMatching(/retry after 1 s \(waited\)/) }),
    );
    server.handle((_req, res) => json(res, 200, {}));
    await executor.apply(ctx(entry)); // the step runner's retry
    const [first, retry] = server.requests;
    expect(retry.at - first.at).toBeGreaterThanOrEqual(990);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('fails transiently when nothing listens', async () => {
    const entry = service('refused', { request: { method: 'POST', url: `${await closedPortUrl()}/deploys` } });
    const failure = executor.apply(ctx(entry));
    await expect(failure).rejects.toBeInstanceOf(TransientDeployError);
    await expect(failure).rejects.toThrow(/connection refused/);
  });

  it('fails permanently, without quoting it, when a secret header value cannot be sent', async () => {
    const broken = httpExecutor.create(testDependencies(dir, { env: { BROKEN: 'line\nbreak-secret' } }));
    const entry = service('bad-header', { request: post('/x', { headers: { Authorization: { secret: 'env:BROKEN' } } }) });
    const c = testContext(entry, { env: { BROKEN: 'line\nbreak-secret' } });
    const err = await failureOf(broken.apply(c));
    expect(err).toBeInstanceOf(PermanentDeployError);
    expect(err.message).toMatch(/header Authorization/);
    expect(err.message).not.toContain('break-secret');
    expect(server.requests).toHaveLength(0);
  });

  it('stops at once when cancelled while the server holds the request, or during a Retry-After wait', async () => {
    const entry = service('held', { request: post() });
    for (const handler of [
      () => undefined, // never answers
      (_req: unknown, res: Parameters<typeof json>[0]) => json(res, 503, {}, { 'Retry-After': '30' }),
    ]) {
      server.requests.length = 0;
      server.handle(handler);
      const abort = new AbortController();
      const call = executor.apply(ctx(entry, { signal: abort.signal }));
      await waitFor(() => server.requests.length === 1, { what: 'the request to arrive', timeoutMs: 5_000 });
      const aborted = Date.now();
      abort.abort();
      await expect(call).rejects.toMatchObject({ name: 'AbortError' });
      expect(Date.now() - aborted).toBeLessThan(1_000);
    }
  });

  it('verifies healthy from the saved record, and refuses without one for this deployment', async () => {
    server.handle((_req, res) => json(res, 202, {}));
    const entry = service('verified', { request: post() });
    await executor.apply(ctx(entry));
    expect(await executor.verify(ctx(entry, { step: 'verify' }))).toEqual({ healthy: true, version: 'v1', detail: 'HTTP 202' });
    await expect(executor.verify(ctx(entry, { step: 'verify', deployment: 'dep-other' }))).rejects.toThrow(
      /no record that deployment dep-other applied verified \(the service-state store has one from dep-a\)/,
    );
  });

  it('undoes a created service with the undo request marked delete, and forgets it', async () => {
    server.handle((_req, res) => json(res, 200, {}));
    const entry = service('undo-delete', { request: post(), undo: { method: 'DELETE', url: `${server.url}/deploys/web` } });
    await executor.apply(ctx(entry));
    const c = ctx(entry, { step: 'compensate' });
    expect(await executor.compensate(c, 'delete', null)).toEqual({ action: 'delete', outcome: 'deleted', resources: [] });
    const undo = server.requests[1];
    expect(undo).toMatchObject({ method: 'DELETE', path: '/deploys/web' });
    expect(undo.headers).toMatchObject({ 'x-tugboat-undo': 'delete', 'idempotency-key': c.idempotencyKey });
    expect(undo.headers['x-tugboat-previous-version']).toBeUndefined();
    expect(await state('undo-delete')).toBeUndefined();
  });

  it('restores the previous state with the undo request marked restore and the previous version', async () => {
    server.handle((_req, res) => json(res, 200, { id: 'first' }));
    const entry = service('undo-restore', { request: post(), undo: post('/rollback'), outputs: { id: '$.id' } });
    await executor.apply(ctx(entry));
    const before = await state('undo-restore');
    const previous = await executor.snapshot(ctx(entry, { deployment: 'dep-b' }), new AbortController().signal);
    expect(previous).toMatchObject({ version: 'v1', outputs: { id: 'first' }, resources: [{ id: 'first', kind: HTTP_RESOURCE_KIND }] });

    server.handle((_req, res) => json(res, 200, { id: 'second' }));
    const v2 = service('undo-restore', { request: post(), undo: post('/rollback'), outputs: { id: '$.id' } }, { version: 'v2' });
    await executor.apply(ctx(v2, { deployment: 'dep-b' }));
    const result = await executor.compensate(ctx(v2, { deployment: 'dep-b', step: 'compensate' }), 'restore', previous);

    expect(result).toEqual({ action: 'restore', outcome: 'restored', resources: [{ id: 'first', kind: HTTP_RESOURCE_KIND }] });
    const undo = server.requests[2];
    expect(undo).toMatchObject({ method: 'POST', path: '/rollback' });
    expect(undo.headers).toMatchObject({ 'x-tugboat-undo': 'restore', 'x-tugboat-previous-version': 'v1' });
    expect(await state('undo-restore')).toEqual({ ...before, savedAt: expect.any(String) });
  });

  it('counts an undo answered 404 or 410 as already done (noop): a repeated DELETE, or nothing made', async () => {
    for (const status of [404, 410]) {
      server.handle((_req, res) => json(res, 200, {}));
      const entry = service(`undo-gone-${status}`, { request: post(), undo: { method: 'DELETE', url: `${server.url}/deploys/web` } });
      await executor.apply(ctx(entry));
      const c = ctx(entry, { step: 'compensate' });
      expect(await executor.compensate(c, 'delete', null)).toEqual({ action: 'delete', outcome: 'deleted', resources: [] });
      // The compensation runs again (its worker died before reporting): the server has nothing left.
      server.handle((_req, res) => json(res, status, { error: 'no such release' }));
      expect(await executor.compensate(c, 'delete', null)).toEqual({ action: 'delete', outcome: 'noop', resources: [] });
      expect(await state(`undo-gone-${status}`)).toBeUndefined();
    }
  });

  it('restores the record when a restore is answered 410, reporting noop', async () => {
    server.handle((_req, res) => json(res, 200, { id: 'first' }));
    const entry = service('restore-gone', { request: post(), undo: post('/rollback') });
    await executor.apply(ctx(entry));
    const before = await state('restore-gone');
    const previous = await executor.snapshot(ctx(entry, { deployment: 'dep-b' }), new AbortController().signal);
    await executor.apply(ctx(entry, { deployment: 'dep-b' }));
    server.handle((_req, res) => json(res, 410, {}));
    expect(await executor.compensate(ctx(entry, { deployment: 'dep-b', step: 'compensate' }), 'restore', previous)).toEqual({
      action: 'restore',
      outcome: 'noop',
      resources: [{ id: 'first', kind: HTTP_RESOURCE_KIND }],
    });
    expect(await state('restore-gone')).toEqual(before);
  });

  it('keeps the record when the undo request fails', async () => {
    server.handle((_req, res) => json(res, 200, {}));
    const entry = service('undo-fails', { request: post(), undo: post('/rollback') });
    await executor.apply(ctx(entry));
    server.handle((_req, res) => json(res, 500, {}));
    await expect(executor.compensate(ctx(entry, { step: 'compensate' }), 'delete', null)).rejects.toBeInstanceOf(TransientDeployError);
    // Refused is not absent.
    server.handle((_req, res) => json(res, 403, {}));
    await expect(executor.compensate(ctx(entry, { step: 'compensate' }), 'delete', null)).rejects.toBeInstanceOf(PermanentDeployError);
    expect(await state('undo-fails')).toMatchObject({ deploymentId: 'dep-a' });
  });

  it('retains a service without an undo request, sending nothing', async () => {
    server.handle((_req, res) => json(res, 200, {}));
    const entry = service('no-undo', { request: post() });
    await executor.apply(ctx(entry));
    for (const action of ['delete', 'restore'] as const) {
      expect(await executor.compensate(ctx(entry, { step: 'compensate' }), action, null)).toEqual({
        action: 'retain',
        outcome: 'retained (no undo request)',
        resources: [{ id: 'no-undo:http', kind: HTTP_RESOURCE_KIND }],
      });
    }
    expect(server.requests).toHaveLength(1);
    expect(await state('no-undo')).toMatchObject({ deploymentId: 'dep-a' });
  });

  it('reports every service as unverifiable in the inventory', async () => {
    const services = ['a', 'b'].map((name) => serviceSchema.parse(service(name, { request: post() })));
    expect(await executor.inventory(ctx(service('a', { request: post() })).deployment, services, new AbortController().signal)).toEqual({
      items: [],
      unverifiable: [
        { service: 'a', reason: 'http executor cannot list live resources' },
        { service: 'b', reason: 'http executor cannot list live resources' },
      ],
    });
  });

  it('rejects a GET with a body and a header name HTTP cannot carry at plan time', () => {
    expect(httpConfigSchema.safeParse({ request: { method: 'GET', url: 'https://x.example/a', body: {} } }).error?.issues).toEqual([
      expect.objectContaining({ path: ['request', 'body'], message: expect.stringMatching(/GET request cannot have a body/) }),
    ]);
    expect(httpConfigSchema.safeParse({ request: { url: 'https://x.example/a', headers: { 'Bad Name': 'x' } } }).success).toBe(false);
    expect(httpConfigSchema.parse({ request: { url: 'https://x.example/a' } }).request.method).toBe('POST');
  });
});
