/**
 * Sending one configured request: secrets resolved into headers (and body) only here, an
 * Idempotency-Key so a server can dedupe a retried POST, cancellation through ctx.signal, and the
 * answer classified: 2xx is success; 408, 429 and 5xx (and no answer at all) are worth retrying;
 * anything else is a rejection that retrying will not change. Redirects are not followed: fetch
 * would re-send a POST to the new place as a GET, whose 200 would count as the deploy.
 */
import { abortableSleep } from '../../system/sleep';
import { PermanentDeployError, TransientDeployError } from '../errors';
import type { ExecutorContext } from '../types';
import { describeFetchError } from './fetch-error';
import type { HttpRequestSpec } from './schema';

/** Longest Retry-After this step waits out itself; a longer one is left to the retry's backoff. */
export const MAX_RETRY_AFTER_WAIT_MS = 60_000;
/** How much of an error response's body a message quotes. */
const BODY_EXCERPT_CHARS = 300;

export interface HttpResult {
  status: number;
  /** The parsed body, or undefined when it is empty or not JSON. */
  json: unknown;
  /** The server answered 404 or 410 to a request sent with `absentIsDone` (and json is undefined). */
  absent?: boolean;
}

export interface SendOptions {
  /** Headers Tugboat itself adds (the undo markers): they win over the config's. */
  extraHeaders?: Record<string, string>;
  /** Epoch ms when the step's own timeout ends: a Retry-After wait never runs past it. */
  stepDeadlineMs: number;
  /** 404 and 410 say the thing is not there: for an undo, already done, not a failure. */
  absentIsDone?: boolean;
}

/** "Not there (any more)": what a repeated DELETE answers. */
const ABSENT_STATUSES = [404, 410];

export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export async function sendRequest(ctx: ExecutorContext, spec: HttpRequestSpec, opts: SendOptions): Promise<HttpResult> {
  const what = `${spec.method} ${spec.url}`;
  const started = Date.now();
  const encoded = await encode(ctx, spec, opts);
  let response: Response;
  try {
    response = await fetch(spec.url, { method: spec.method, ...encoded, signal: ctx.signal, redirect: 'manual' });
  } catch (err) {
    ctx.signal.throwIfAborted();
    throw new TransientDeployError(ctx.secrets.redact(`${what}: ${describeFetchError(err)}`), { cause: err });
  }
  const text = await readBody(ctx, response, what);
  ctx.log(`${what} → ${response.status} in ${Date.now() - started} ms`);
  if (response.ok) return { status: response.status, json: parseJson(text) };
  if (opts.absentIsDone && ABSENT_STATUSES.includes(response.status)) return { status: response.status, json: undefined, absent: true };
  if (response.status >= 300 && response.status < 400) {
    const location = response.headers.get('location');
    throw new PermanentDeployError(
      ctx.secrets.redact(
        `${what} answered ${response.status} ${response.statusText}, a redirect to ${location ?? '(no Location header)'}; ` +
          'redirects are not followed (the request would be re-sent elsewhere, a POST as a GET): set url to where it points',
      ),
    );
  }

  // Redact before cutting: an excerpt could end inside a secret the server echoed back.
  const message = `${what} answered ${response.status} ${response.statusText}`.trim() + excerpt(ctx.secrets.redact(text));
  if (!isTransientStatus(response.status)) throw new PermanentDeployError(message);
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
  if (retryAfterMs === undefined) throw new TransientDeployError(message);
  throw new TransientDeployError(`${message}; ${await waitOut(ctx, retryAfterMs, opts.stepDeadlineMs, what)}`);
}

/**
 * Retry-After as milliseconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3);
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * The retry comes after the step runner's backoff, which knows nothing of Retry-After: wait here
 * so it does not come early, as long as the wait is short and fits in the step's own timeout.
 * Returns what to add to the failure message.
 */
async function waitOut(ctx: ExecutorContext, retryAfterMs: number, stepDeadlineMs: number, what: string): Promise<string> {
  const asked = `the server asked to retry after ${seconds(retryAfterMs)}`;
  // A second of margin so the step ends by itself, with this message, before its timeout does.
  const budget = Math.min(MAX_RETRY_AFTER_WAIT_MS, stepDeadlineMs - Date.now() - 1_000);
  const waitMs = Math.min(retryAfterMs, budget);
  if (waitMs <= 0) return `${asked} (not waited: longer than the step's timeout allows)`;
  ctx.heartbeat({ line: `${what}: waiting ${seconds(waitMs)} as Retry-After asks` });
  await abortableSleep(waitMs, ctx.signal);
  return waitMs < retryAfterMs ? `${asked} (waited ${seconds(waitMs)}, the most this step may)` : `${asked} (waited)`;
}

/** Headers and body as sent: secret references resolved now, JSON unless the body is a string. */
async function encode(ctx: ExecutorContext, spec: HttpRequestSpec, opts: SendOptions): Promise<{ headers: Headers; body?: string }> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(spec.headers)) {
    const resolved = await ctx.secrets.value(value);
    try {
      headers.set(name, resolved);
    } catch {
      // Never quote the value: it may be a secret.
      throw new PermanentDeployError(`header ${name} has a value HTTP cannot carry (a line break or a non-Latin-1 character)`);
    }
  }
  // The config may name its own key (an API with its own scheme); otherwise the step's, stable across retries.
  if (!headers.has('idempotency-key')) headers.set('Idempotency-Key', ctx.idempotencyKey);
  for (const [name, value] of Object.entries(opts.extraHeaders ?? {})) headers.set(name, value);
  if (spec.body === undefined) return { headers };
  if (typeof spec.body === 'string') return { headers, body: spec.body };
  if (!headers.has('content-type')) headers.set('Content-Type', 'application/json');
  return { headers, body: JSON.stringify(await ctx.secrets.resolveDeep(spec.body)) };
}

async function readBody(ctx: ExecutorContext, response: Response, what: string): Promise<string> {
  try {
    return await response.text();
  } catch (err) {
    ctx.signal.throwIfAborted();
    throw new TransientDeployError(`${what} answered ${response.status} but the body was cut off: ${describeFetchError(err)}`, {
      cause: err,
    });
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return '';
  return `: ${flat.length > BODY_EXCERPT_CHARS ? `${flat.slice(0, BODY_EXCERPT_CHARS)}…` : flat}`;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
