/**
 * Property: the simulated cloud's HTTP server (started in this process on a random port, with its
 * own state file) answers any request — random methods, paths, headers and bodies, near-valid
 * bodies with one field wrong, bodies over the size limit — with JSON: 2xx when it did what was
 * asked, 4xx naming the problem otherwise, never a 5xx (except a failure the request itself asked
 * to simulate), never a crash or a hang; it keeps answering; and a refused request changes
 * nothing (resources, calls, holds and overrides compared before and after).
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { startSimCloud } from '../../src/simcloud';
import { COMPENSATE_ACTIONS, MUTATING_OPS, SIM_SERVICE_TYPES } from '../../src/simcloud/types';
import { MAX_CASE_MS, runSurface, shorten, type CaseOutcome, type RunOptions, type SurfaceReport } from '../lib/cases';

export interface HttpCase {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** undefined: no body. */
  body?: Buffer;
}

/** Error codes of failures a request asks the cloud to simulate (simulate / override fields): answers, not faults. */
const SIMULATED_FAILURES = new Set(['permanent', 'compensation_failed', 'unavailable']);

const oddSegment = fc.oneof(
  fc.constantFrom('api', 'web', 'svc-1', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '..', '.', '%', '%zz', '%00', '%2F', '%2e%2e', 'a%20b', '%E2%82', '', '😀', 'x'.repeat(5000)),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
  fc.stringMatching(/^[a-z0-9-]{1,12}$/),
);

const routePath = fc.oneof(
  fc.constantFrom('/health', '/resources', '/calls', '/control/holds', '/control/overrides', '/control/reset', '/', '//', '/services', '/services/', '/control'),
  oddSegment.map((s) => `/health/${s}`),
  oddSegment.map((s) => `/services/${s}`),
  fc.tuple(oddSegment, fc.constantFrom('apply', 'verify', 'compensate', 'nope', '')).map(([s, op]) => `/services/${s}/${op}`),
  fc.tuple(oddSegment, fc.oneof(fc.constantFrom(...MUTATING_OPS), oddSegment)).map(([s, op]) => `/control/holds/${s}/${op}`),
  oddSegment.map((s) => `/control/overrides/${s}`),
  fc.webPath(),
);

const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom('?service=api', '?op=apply', '?service=__proto__&op=constructor', '?service=%zz', '?a=1&a=2', '?'),
  fc.string({ maxLength: 20 }).map((s) => `?q=${encodeURIComponent(s)}`),
);

const method = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE') },
  { weight: 2, arbitrary: fc.constantFrom('PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'SEARCH') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{1,12}$/) },
);

const header = fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/), fc.stringMatching(/^[ -~]{0,60}$/));
const headers = fc.tuple(
  fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,12}$/), fc.stringMatching(/^[!-~]{0,40}$/), { maxKeys: 3 }),
  fc.option(fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', '*/*', ''), { nil: undefined }),
  fc.option(header, { nil: undefined }),
).map(([extra, contentType, one]) => {
  const out: Record<string, string> = { ...extra };
  if (contentType !== undefined) out['content-type'] = contentType;
  if (one && !/^(content-length|transfer-encoding|host|connection|expect|upgrade|te|trailer|keep-alive)$/i.test(one[0])) out[one[0]] = one[1];
  return out;
});

// ---- bodies --------------------------------------------------------------------------------------

const smallCount = fc.integer({ min: 0, max: 3 });
const wrong = fc.constantFrom<unknown>(null, -1, 1.5, 'x', '', true, [], {}, 1e308, { a: 1 }, ['a'], 2 ** 53);
const idLike = fc.oneof(fc.constantFrom('dep-1', 'key-1', '__proto__', 'constructor'), fc.string({ minLength: 1, maxLength: 12 }));

/** Valid bodies for each operation (short simulated durations: an accepted apply must answer quickly). */
const validBodies = {
  apply: fc.record({
    deploymentId: idLike,
    type: fc.constantFrom(...SIM_SERVICE_TYPES),
    idempotencyKey: idLike,
    version: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
    config: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
    simulate: fc.option(fc.record({ duration_ms: fc.integer({ min: 0, max: 20 }), fail_transient: smallCount, fail_permanent: fc.boolean(), unhealthy_after_ms: fc.integer({ min: 0, max: 100 }) }, { requiredKeys: [] }), { nil: undefined }),
  }, { requiredKeys: ['deploymentId', 'type', 'idempotencyKey'] }),
  verify: fc.record({ deploymentId: idLike, idempotencyKey: idLike, simulate: fc.option(fc.record({ unhealthy_probes: smallCount }), { nil: undefined }) }, { requiredKeys: ['deploymentId', 'idempotencyKey'] }),
  compensate: fc.record({
    deploymentId: idLike,
    idempotencyKey: idLike,
    action: fc.constantFrom(...COMPENSATE_ACTIONS),
    previous: fc.option(fc.record({ version: fc.option(fc.string({ maxLength: 5 }), { nil: null }), outputs: fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }), resources: fc.constant([]) }), { nil: null }),
    simulate: fc.option(fc.record({ fail_compensation: fc.boolean() }), { nil: undefined }),
  }, { requiredKeys: ['deploymentId', 'idempotencyKey', 'action'] }),
  override: fc.record({ fail_transient: smallCount, fail_permanent: fc.boolean(), unhealthy_probes: smallCount, fail_compensation: fc.boolean() }, { requiredKeys: [] }),
  hold: fc.record({ service: idLike, op: fc.constantFrom(...MUTATING_OPS) }),
};

/** A valid body with one field set to a value of the wrong type or range. */
const nearValid = fc.tuple(fc.oneof(...Object.values(validBodies)), fc.constantFrom('deploymentId', 'type', 'idempotencyKey', 'version', 'simulate', 'action', 'previous', 'op', 'service', 'fail_transient', 'duration_ms', 'unhealthy_probes'), wrong).map(([body, field, value]) => {
  const out = { ...(body as Record<string, unknown>) };
  if (field === 'duration_ms' || field === 'unhealthy_probes') out.simulate = { [field]: value };
  else out[field] = value;
  return out;
});

const bodyBytes: fc.Arbitrary<Buffer | undefined> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 6, arbitrary: fc.oneof(...Object.values(validBodies), nearValid).map((b) => Buffer.from(JSON.stringify(b))) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))) },
  { weight: 2, arbitrary: fc.constantFrom('{', '{"a":', 'null', '[]', '"x"', '1', 'true', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '\uFEFF{}', '{}garbage', ' ', '\u0000').map((t) => Buffer.from(t)) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.constantFrom(1024 * 1024 + 1, 3 * 1024 * 1024).map((n) => Buffer.alloc(n, 0x61)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 200_000 }).map((n) => Buffer.from(`{"a":${'['.repeat(n)}${']'.repeat(n)}}`)) },
);

export const httpCase: fc.Arbitrary<HttpCase> = fc
  .record({ method, path: routePath, query, headers, body: bodyBytes })
  .map(({ method: m, path: p, query: q, headers: h, body }) => ({ method: m, path: `${p}${q}`, headers: h, body }));

// ---- sending -------------------------------------------------------------------------------------

interface Answer {
  status: number;
  text: string;
}

/** One request on its own connection; a request cut off by a raw socket write (invalid method) is sent raw. */
function send(baseUrl: string, c: HttpCase, timeoutMs: number): Promise<Answer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const done = (fn: () => void) => {
      clearTimeout(timer);
      fn();
    };
    // The raw path is written as is (no URL normalisation), as a hostile client would.
    const socket = net.connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => done(() => reject(error)));
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
      if (!statusLine) return done(() => reject(new Error(`no HTTP answer: ${JSON.stringify(raw.slice(0, 200))}`)));
      const bodyStart = raw.indexOf('\r\n\r\n');
      done(() => resolve({ status: Number(statusLine[1]), text: Buffer.from(raw.slice(bodyStart + 4), 'latin1').toString('utf8') }));
    });
    const lines = [`${c.method} ${c.path} HTTP/1.1`, `host: ${url.host}`, 'connection: close'];
    for (const [name, value] of Object.entries(c.headers)) lines.push(`${name}: ${value}`);
    if (c.body !== undefined) lines.push(`content-length: ${c.body.length}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (c.body !== undefined) socket.write(c.body);
  });
}

/** Only for GET requests of the snapshot, with a proper client. */
function getJson(baseUrl: string, p: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${baseUrl}${p}`, { timeout: MAX_CASE_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${p}: no answer within ${MAX_CASE_MS} ms`)));
    req.on('error', reject);
  });
}

async function snapshot(baseUrl: string): Promise<string> {
  const parts = await Promise.all(['/resources', '/calls', '/control/holds', '/control/overrides'].map((p) => getJson(baseUrl, p)));
  return JSON.stringify(parts.map((p) => p.body));
}

function errorShapeProblem(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body?.error?.code !== 'string' || typeof body.error.message !== 'string' || body.error.message === '') {
      return `an error answer without { error: { code, message } }: ${shorten(text, 200)}`;
    }
    return undefined;
  } catch {
    return `an error answer that is not JSON: ${shorten(text, 200)}`;
  }
}

export async function checkHttpCase(baseUrl: string, c: HttpCase): Promise<CaseOutcome> {
  const before = await snapshot(baseUrl);
  let answer: Answer;
  try {
    answer = await send(baseUrl, c, MAX_CASE_MS);
  } catch (error) {
    return { outcome: 'violation', message: `${(error as Error).message}` };
  }
  const health = await getJson(baseUrl, '/health').catch((error: Error) => ({ status: 0, body: error.message }));
  if (health.status !== 200) return { outcome: 'violation', message: `the server stopped answering: GET /health gave ${health.status} ${JSON.stringify(health.body)}` };
  // An accepted hold would park later requests for that service: let it go (state the fuzzer made, not a case's effect).
  const holds = (await getJson(baseUrl, '/control/holds')).body as Array<{ service: string; op: string }>;
  for (const hold of holds) await send(baseUrl, { method: 'DELETE', path: `/control/holds/${encodeURIComponent(hold.service)}/${hold.op}`, headers: {} }, MAX_CASE_MS);

  const { status, text } = answer;
  const isHead = c.method === 'HEAD';
  if (status >= 200 && status < 300) {
    if (!isHead) {
      try {
        JSON.parse(text);
      } catch {
        return { outcome: 'violation', message: `a ${status} answer that is not JSON: ${shorten(text, 200)}` };
      }
    }
    return { outcome: 'accepted' };
  }
  // A health probe of an unhealthy or absent service answers 503 with the health record: an answer, not a failure.
  const healthAnswer = c.method === 'GET' && /^\/health\/[^/]+$/.test(c.path.split('?')[0]) && status === 503 && /"status":"(unhealthy|absent)"/.test(text);
  if (healthAnswer) return { outcome: 'accepted' };
  const shape = isHead ? undefined : errorShapeProblem(text);
  if (shape) return { outcome: 'violation', message: `${status}: ${shape}` };
  const code = isHead ? '' : (JSON.parse(text) as { error: { code: string } }).error.code;
  if (SIMULATED_FAILURES.has(code)) return { outcome: 'accepted' };
  if (status >= 500) return { outcome: 'violation', message: `${status} ${shorten(text, 300)}` };
  if (status < 400) return { outcome: 'violation', message: `unexpected status ${status}` };
  const after = await snapshot(baseUrl);
  if (after !== before) return { outcome: 'violation', message: `refused with ${status}, but the state changed: before ${shorten(before, 300)} after ${shorten(after, 300)}` };
  return { outcome: 'refused' };
}

export function describeHttpCase(c: HttpCase): string {
  const body = c.body === undefined ? '' : ` body(${c.body.length}) ${JSON.stringify(c.body.subarray(0, 200).toString('utf8'))}`;
  return `${c.method} ${shorten(c.path, 120)} ${JSON.stringify(c.headers)}${body}`;
}

export async function checkSimCloudHttp(opts: RunOptions): Promise<SurfaceReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-fuzz-simcloud-'));
  const sim = await startSimCloud({ port: 0, stateFile: path.join(dir, 'simcloud.json') });
  try {
    return await runSurface(
      {
        name: 'sim cloud HTTP',
        arbitrary: httpCase,
        check: (c) => checkHttpCase(sim.url, c),
        describe: describeHttpCase,
        // Four snapshot requests, the case and a health probe: the case alone is bounded by send's own 2 s.
        maxCaseMs: MAX_CASE_MS * 2,
      },
      opts,
    );
  } finally {
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
