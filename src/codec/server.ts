/**
 * The Temporal codec-server protocol over HTTP, for the Web UI ("Codec Server" setting, or the
 * server's TEMPORAL_CODEC_ENDPOINT) and `temporal --codec-endpoint`: POST /encode and /decode take
 * and return `{ "payloads": [ { "metadata": { k: base64 }, "data": base64 } ] }`. The browser calls it
 * from the UI's origin, so allowed origins get CORS headers (preflight included); with a token,
 * every call but the preflight needs `Authorization: Bearer <token>`. Payloads are never logged.
 */
import crypto from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { payloadFromJson, payloadToJson } from './payload-bytes';

export const DEFAULT_CODEC_SERVER_PORT = 4781;
export const DEFAULT_CORS_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
export const CODEC_SERVER_TOKEN_VAR = 'TUGBOAT_CODEC_SERVER_TOKEN';
const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Namespace';

export interface CodecServerOptions {
  codec: PayloadCodec;
  host?: string;
  port?: number;
  /** Exact origins (scheme://host[:port]) the browser may call from. */
  corsOrigins?: string[];
  /** When set, requests need `Authorization: Bearer <token>`. */
  token?: string;
  maxBodyBytes?: number;
  /** One line per refused request (never a payload). */
  log?: (line: string) => void;
}

export interface RunningCodecServer {
  url: string;
  close(): Promise<void>;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startCodecServer(opts: CodecServerOptions): Promise<RunningCodecServer> {
  const origins = new Set(opts.corsOrigins ?? DEFAULT_CORS_ORIGINS);
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const tokenDigest = opts.token ? digest(opts.token) : undefined;
  const log = opts.log ?? (() => undefined);

  const server = createServer((req, res) => {
    const origin = req.headers.origin;
    if (origin && origins.has(origin)) corsHeaders(res, origin);
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof Refusal ? err.status : 400;
      const message = err instanceof Error ? err.message : String(err);
      log(`${req.method} ${req.url} ${status}: ${message}`);
      if (!res.headersSent) send(res, status, { error: message });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname } = new URL(req.url ?? '/', 'http://codec');
    const route = pathname === '/encode' || pathname === '/decode' ? pathname : undefined;
    if (req.method === 'GET' && pathname === '/health') return send(res, 200, { status: 'ok' });
    if (!route) throw new Refusal(404, `no ${pathname} here: the codec server answers POST /encode and POST /decode`);
    if (req.method === 'OPTIONS') {
      const origin = req.headers.origin;
      if (!origin || !origins.has(origin)) {
        throw new Refusal(403, `origin ${origin ?? '(none)'} is not allowed: start the codec server with --cors-origin ${origin ?? '<the Web UI origin>'}`);
      }
      res.writeHead(204).end();
      return;
    }
    if (req.method !== 'POST') throw new Refusal(405, `${req.method} ${route}: use POST`);
    if (tokenDigest && !authorized(req.headers.authorization, tokenDigest)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new Refusal(401, 'missing or wrong bearer token: send Authorization: Bearer <token> (the Web UI: "Pass access token"; temporal CLI: --codec-auth)');
    }
    const payloads = parseBody(await readBody(req, maxBodyBytes));
    const converted = route === '/encode' ? await opts.codec.encode(payloads) : await opts.codec.decode(payloads);
    send(res, 200, { payloads: converted.map(payloadToJson) });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? DEFAULT_CODEC_SERVER_PORT, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function corsHeaders(res: ServerResponse, origin: string): void {
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
  // The Web UI's "include cross-origin credentials" option sends cookies: allowed for listed origins only.
  res.setHeader('Access-Control-Allow-Credentials', 'true');
  res.setHeader('Access-Control-Max-Age', '600');
}

/** Constant time: both sides hashed to the same length before comparing. */
function authorized(header: string | undefined, tokenDigest: Buffer): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match !== null && crypto.timingSafeEqual(digest(match[1].trim()), tokenDigest);
}

function digest(text: string): Buffer {
  return crypto.createHash('sha256').update(text).digest();
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(new Refusal(413, `body of ${declared} bytes is over the ${maxBytes}-byte limit (--max-body-mb)`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Read to the end unkept, so the connection can still carry the answer.
        chunks.length = 0;
        reject(new Refusal(413, `body is over the ${maxBytes}-byte limit (--max-body-mb)`));
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseBody(body: Buffer): Payload[] {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new Refusal(400, 'the body is not JSON: expected {"payloads": [{"metadata": {...}, "data": "<base64>"}]}');
  }
  const payloads = (json as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(payloads)) throw new Refusal(400, 'the body has no "payloads" array: expected {"payloads": [...]}');
  return payloads.map((raw, i) => {
    const payload = payloadFromJson(raw, `payloads[${i}]`);
    if (typeof payload === 'string') throw new Refusal(400, payload);
    return payload;
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}
