/**
 * Redis connections for the ingress (node-redis). node-redis reconnects on its own; an 'error'
 * listener is required (without one a dropped connection crashes the process), and it reports
 * each outage once rather than on every reconnect attempt.
 */
import { createClient } from 'redis';

function newClient(url: string, name: string) {
  return createClient({ url, name });
}

export type Redis = ReturnType<typeof newClient>;

/** The URL with any password masked, for logs and messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '<unparseable Redis URL>';
  }
}

/** A usage error (thrown before connecting) for a URL that is not redis:// or rediss://. */
export function checkRedisUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `not a URL: ${JSON.stringify(url)} (e.g. redis://127.0.0.1:6379)`;
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    return `must start with redis:// or rediss:// (got ${JSON.stringify(parsed.protocol)}), e.g. redis://127.0.0.1:6379`;
  }
  return undefined;
}

/** How long the first connection may take: a wrong URL or a stopped Redis is said at start, not retried forever. */
export const FIRST_CONNECT_DEADLINE_MS = 10_000;

export class RedisUnreachableError extends Error {
  constructor(url: string, why: string) {
    super(`cannot reach Redis at ${redactRedisUrl(url)} within ${FIRST_CONNECT_DEADLINE_MS / 1000}s (${why}); is it running, and is --redis (TUGBOAT_REDIS_URL) right?`);
    this.name = 'RedisUnreachableError';
  }
}

export async function connectRedis(url: string, opts: { name: string; log: (line: string) => void }): Promise<Redis> {
  const client = newClient(url, opts.name);
  let connected = false;
  let down = false;
  let lastError = 'no answer';
  client.on('error', (err: Error) => {
    lastError = err.message;
    if (down || !connected) return;
    down = true;
    opts.log(`redis ${redactRedisUrl(url)} (${opts.name}): ${err.message}; reconnecting`);
  });
  client.on('ready', () => {
    if (down) opts.log(`redis ${redactRedisUrl(url)} (${opts.name}): connected again`);
    down = false;
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), FIRST_CONNECT_DEADLINE_MS)));
  try {
    const connecting = client.connect();
    connecting.catch(() => undefined); // after a destroy() it may still reject: already reported
    const outcome = await Promise.race([connecting, deadline]);
    if (outcome === 'late') {
      client.destroy();
      throw new RedisUnreachableError(url, lastError);
    }
  } finally {
    clearTimeout(timer);
  }
  connected = true;
  return client;
}
