/**
 * A notification: one JSON POST to a webhook (Slack-compatible `text` plus structured fields).
 * Notifications never fail a deployment, so a receiver that is down, slow or refusing is an
 * answer (`delivered: false` with why), never an error; only cancellation throws. The POST is
 * retried a few times on a short backoff for what may pass (no connection, a timeout, 5xx, 429);
 * the same `Idempotency-Key` goes with every try (and every retry of the activity), so a
 * receiver may drop duplicates.
 *
 * Webhook URLs carry tokens in their path (Slack's hooks.slack.com/services/T…/B…/secret): what
 * this returns names the receiver by its origin only.
 */
import type { NotifyInput, NotifyResult } from '../api/workflow-types';
import { describeFetchError } from '../executors/http/fetch-error';
import { abortableSleep } from '../system/sleep';
import { describeSecret, isSecretReference } from '../secrets/reference';
import { readSecret } from '../secrets/resolve';

/** Bounds one POST. */
export const NOTIFY_TIMEOUT_MS = 5_000;
/** Pauses before the second and third tries: three tries in all. */
export const NOTIFY_BACKOFF_MS: readonly number[] = [500, 1_000];
/** A 429's Retry-After is honoured up to this; a receiver asking for longer gets the usual backoff. */
const MAX_RETRY_AFTER_MS = 5_000;
/** How much of a refusing receiver's answer is quoted (Slack says why in plain text: `no_service`). */
const QUOTED_BODY_CHARS = 120;

export interface NotifyOptions {
  /** Where `{ secret: env:… }` webhooks resolve (the worker's environment unless a test injects one). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** One entry per retry: its length is the number of retries. */
  backoffMs?: readonly number[];
}

/** The JSON a receiver gets: Slack reads `text`; anything else reads the structured fields. */
export interface NotificationBody {
  text: string;
  event: string;
  deploymentId: string;
  name: string;
  environment: string;
  phase: string;
  service?: string;
  fields?: Record<string, string | string[]>;
  key: string;
}

export function notificationBody(input: NotifyInput): NotificationBody {
  return {
    text: input.text,
    event: input.event,
    deploymentId: input.deploymentId,
    name: input.name,
    environment: input.environment,
    phase: input.phase,
    ...(input.service === undefined ? {} : { service: input.service }),
    ...(input.fields === undefined ? {} : { fields: input.fields }),
    key: input.key,
  };
}

type Attempt = { delivered: true; status: number } | { delivered: false; retry: boolean; why: string; retryAfterMs?: number };

/**
 * Posts `input` to its webhook. Resolves `{delivered: false, detail}` for every way the receiver
 * can fail; rejects only when `signal` aborts (with its reason), so a cancelled activity ends as
 * cancelled.
 */
export async function sendNotification(input: NotifyInput, signal: AbortSignal, opts: NotifyOptions = {}): Promise<NotifyResult> {
  const timeoutMs = opts.timeoutMs ?? NOTIFY_TIMEOUT_MS;
  const backoff = opts.backoffMs ?? NOTIFY_BACKOFF_MS;
  let url: string;
  try {
    url = isSecretReference(input.webhook) ? (await readSecret(input.webhook, opts.env ?? process.env)).trim() : input.webhook;
  } catch (err) {
    // The resolution error names the reference and why (unset variable, unreadable file), never a value.
    return { delivered: false, detail: `the webhook could not be read: ${(err as Error).message}` };
  }
  let receiver: Receiver;
  try {
    receiver = new Receiver(url);
  } catch {
    const where = isSecretReference(input.webhook) ? `the value of ${describeSecret(input.webhook)}` : '`notify[].webhook` in the manifest';
    return { delivered: false, detail: `the webhook is not a valid http(s) URL; fix ${where}` };
  }
  const body = JSON.stringify(notificationBody(input));
  const tries = backoff.length + 1;
  for (let attempt = 1; ; attempt++) {
    signal.throwIfAborted();
    const result = await post(receiver, input.key, body, timeoutMs, signal);
    const after = attempt === 1 ? '' : ` after ${attempt} tries`;
    if (result.delivered) return { delivered: true, detail: `${receiver.origin} answered ${result.status}${after}` };
    if (!result.retry) return { delivered: false, detail: `${receiver.origin} ${result.why}; not retried` };
    if (attempt >= tries) return { delivered: false, detail: `${receiver.origin} ${result.why}; gave up after ${plural(tries, 'try', 'tries')}` };
    const pause = backoff[attempt - 1];
    await abortableSleep(Math.max(pause, Math.min(result.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS)), signal);
  }
}

async function post(receiver: Receiver, key: string, body: string, timeoutMs: number, signal: AbortSignal): Promise<Attempt> {
  const timeout = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(receiver.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': headerSafe(key), 'user-agent': 'tugboat' },
      body,
      signal: AbortSignal.any([signal, timeout]),
      // A redirected POST would carry the body (and the token-bearing key) somewhere unasked.
      redirect: 'manual',
    });
  } catch (err) {
    signal.throwIfAborted();
    const why = timeout.aborted ? `gave no answer within ${timeoutMs} ms` : `could not be reached: ${receiver.scrub(describeFetchError(err))}`;
    return { delivered: false, retry: true, why };
  }
  const status = response.status;
  if (status >= 200 && status < 300) {
    await response.body?.cancel().catch(() => undefined);
    return { delivered: true, status };
  }
  const said = await quote(response, receiver);
  const why = `answered ${status}${said}`;
  if (status === 429) return { delivered: false, retry: true, why, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) };
  return { delivered: false, retry: status >= 500, why };
}

/** The start of a refusal's body, on one line, without anything of the webhook's path. */
async function quote(response: Response, receiver: Receiver): Promise<string> {
  try {
    const text = (await response.text()).replace(/\s+/g, ' ').trim();
    if (!text) return '';
    const clipped = text.length > QUOTED_BODY_CHARS ? `${text.slice(0, QUOTED_BODY_CHARS)}…` : text;
    return ` (${receiver.scrub(clipped)})`;
  } catch {
    return '';
  }
}

/** A header value must be visible ASCII: anything else in a key is percent-encoded (the body keeps it as is). */
const headerSafe = (value: string) => (/^[\x21-\x7e]*$/.test(value) ? value : encodeURIComponent(value));

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1_000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** A webhook, and how to speak of it without its secret parts. */
class Receiver {
  readonly url: URL;
  readonly origin: string;
  private readonly secrets: string[];

  constructor(webhook: string) {
    this.url = new URL(webhook);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw new TypeError('not an http(s) URL');
    // origin drops user:password@, path, query and fragment: only scheme, host and port remain.
    this.origin = this.url.origin;
    const { pathname, search, hash, username, password } = this.url;
    this.secrets = [webhook, this.url.href, `${pathname}${search}${hash}`, search.slice(1), username, password]
      .concat(pathname.split('/'))
      .filter((s) => s.length >= 4)
      .sort((a, b) => b.length - a.length);
  }

  /** Removes the webhook's path, query and credentials from text that quotes them (an error, an echo). */
  scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('…');
    return out;
  }
}
