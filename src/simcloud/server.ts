/**
 * The simulated cloud's HTTP face: routes JSON requests to SimulatedCloud. A request whose client
 * disconnects still runs to completion (like a real cloud API); only its answer is lost.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimulatedCloud } from './cloud';
import { HttpFault, badRequest, notFound } from './fault';
import { SimCloudStore } from './store';
import type { ErrorBody, RunningSimCloud, StartSimCloudOptions } from './types';
import {
  isObject,
  parseApply,
  parseCompensate,
  parseHold,
  parseHoldOp,
  parseOverride,
  parseVerify,
} from './validate';

const MAX_BODY_BYTES = 1024 * 1024;

interface Request {
  params: string[];
  query: URLSearchParams;
  body: Record<string, unknown>;
}

/** [status, body] */
type Answer = [number, unknown];

interface Route {
  method: string;
  /** Shown in the 404 message. */
  pattern: string;
  regex: RegExp;
  handle(cloud: SimulatedCloud, req: Request): Answer | Promise<Answer>;
}

function route(method: string, pattern: string, handle: Route['handle']): Route {
  // `:name` matches one path segment; the segment is URL-decoded into params, in order.
  const regex = new RegExp(`^${pattern.replace(/:[a-z]+/g, '([^/]+)')}$`);
  return { method, pattern, regex, handle };
}

const ROUTES: Route[] = [
  route('GET', '/health', () => [200, { status: 'ok' }]),
  route('GET', '/health/:service', (cloud, { params }) => {
    const health = cloud.health(params[0]);
    return [health.status === 'healthy' ? 200 : 503, health];
  }),
  route('GET', '/services/:service', (cloud, { params }) => {
    const record = cloud.getService(params[0]);
    if (!record) throw notFound(`service "${params[0]}" is not deployed`);
    return [200, record];
  }),
  route('POST', '/services/:service/apply', async (cloud, { params, body }) => [
    200,
    await cloud.apply(parseApply(params[0], body)),
  ]),
  route('POST', '/services/:service/verify', async (cloud, { params, body }) => [
    200,
    await cloud.verify(parseVerify(params[0], body)),
  ]),
  route('POST', '/services/:service/compensate', async (cloud, { params, body }) => [
    200,
    await cloud.compensate(parseCompensate(params[0], body)),
  ]),
  route('GET', '/resources', (cloud) => [200, cloud.resources()]),
  route('GET', '/calls', (cloud, { query }) => [
    200,
    cloud.calls({ service: query.get('service') ?? undefined, op: query.get('op') ?? undefined }),
  ]),
  route('GET', '/control/holds', (cloud) => [200, cloud.listHolds()]),
  route('POST', '/control/holds', (cloud, { body }) => {
    const { service, op } = parseHold(body);
    cloud.setHold(service, op);
    return [200, { service, op }];
  }),
  route('DELETE', '/control/holds/:service/:op', (cloud, { params }) => [
    200,
    { released: cloud.releaseHold(params[0], parseHoldOp(params[1])) },
  ]),
  route('GET', '/control/overrides', (cloud) => [200, cloud.overrides()]),
  route('PUT', '/control/overrides/:service', async (cloud, { params, body }) => {
    const override = parseOverride(body);
    await cloud.setOverride(params[0], override);
    return [200, override];
  }),
  route('DELETE', '/control/overrides/:service', async (cloud, { params }) => {
    await cloud.clearOverride(params[0]);
    return [200, {}];
  }),
  route('POST', '/control/reset', async (cloud) => {
    await cloud.reset();
    return [200, {}];
  }),
];

const ROUTE_LIST = ROUTES.map((r) => `${r.method} ${r.pattern}`).join(', ');

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpFault(413, 'too_large', `body exceeds ${MAX_BODY_BYTES} bytes`, false);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw badRequest(`malformed JSON body: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw badRequest('the JSON body must be an object');
  return parsed;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return; // the client left; the work is done regardless
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function errorBody(fault: HttpFault): ErrorBody {
  return { error: { code: fault.code, message: fault.message, retryable: fault.retryable } };
}

/**
 * The request target as a URL. Prefixed rather than resolved against a base: `//x` resolved would
 * be a host named x, and `//` an invalid URL that answered 500 (found by the fuzzer, FUZZ.md).
 */
function requestUrl(target: string): URL {
  try {
    return new URL(`http://sim-cloud${target.startsWith('/') ? '' : '/'}${target}`);
  } catch {
    throw badRequest(`malformed request target: ${JSON.stringify(target.slice(0, 200))}`);
  }
}

async function handle(cloud: SimulatedCloud, req: IncomingMessage, res: ServerResponse, log: (line: string) => void) {
  try {
    const url = requestUrl(req.url ?? '/');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const match = ROUTES.map((r) => ({ r, m: r.method === req.method ? r.regex.exec(path) : null })).find(
      (x) => x.m,
    );
    if (!match?.m) throw notFound(`no route for ${req.method} ${url.pathname}; routes: ${ROUTE_LIST}`);
    let params: string[];
    try {
      params = match.m.slice(1).map(decodeURIComponent);
    } catch {
      throw badRequest(`malformed URL path: ${url.pathname}`);
    }
    const body = req.method === 'GET' || req.method === 'DELETE' ? {} : await readJsonBody(req);
    const [status, answer] = await match.r.handle(cloud, { params, query: url.searchParams, body });
    send(res, status, answer);
  } catch (err) {
    if (err instanceof HttpFault) return send(res, err.status, errorBody(err));
    log(`sim-cloud: internal error on ${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}`);
    send(res, 500, errorBody(new HttpFault(500, 'internal', String((err as Error)?.message ?? err), true)));
  }
}

export async function startSimCloud(opts: StartSimCloudOptions = {}): Promise<RunningSimCloud> {
  const log = opts.log ?? (() => undefined);
  const store = await SimCloudStore.open(opts.stateFile);
  const cloud = new SimulatedCloud(store, log, opts.now);
  const server = createServer((req, res) => {
    res.on('error', () => undefined); // a vanished client is not the server's problem
    void handle(cloud, req, res, log);
  });
  // Held requests may legitimately wait a long time for their answer.
  server.requestTimeout = 0;
  // A request Node's parser refuses (an unknown method, a malformed request line or header) gets
  // the same JSON error as any other bad request, not Node's bare "400 Bad Request" (found by the fuzzer, FUZZ.md).
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const fault = tooLarge
      ? new HttpFault(431, 'headers_too_large', 'request headers are too large', false)
      : badRequest(`malformed HTTP request (${err.code ?? 'parse error'}); routes: ${ROUTE_LIST}`);
    const text = JSON.stringify(errorBody(fault));
    socket.end(
      `HTTP/1.1 ${fault.status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  const url = `http://${host}:${port}`;
  log(`sim-cloud listening on ${url}${opts.stateFile ? ` (state: ${opts.stateFile})` : ' (in memory)'}`);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      cloud.shutdown();
      // One turn of the event loop lets the failed held requests answer 503 before sockets go.
      await new Promise((resolve) => setImmediate(resolve));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await store.close();
    })());
  return { url, port, close };
}
