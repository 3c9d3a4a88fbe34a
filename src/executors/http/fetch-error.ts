/**
 * Why a fetch got no response, in words: Node's fetch rejects with a bare "fetch failed" and keeps
 * the reason (ECONNREFUSED, a DNS miss) in `cause`. Shared by the http executor and the
 * per-service health probe.
 */
const CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host lookup failed (temporary)',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

interface ErrorLike {
  message?: unknown;
  code?: unknown;
  cause?: unknown;
}

export function describeFetchError(err: unknown): string {
  // Duck-typed, not instanceof Error: fetch's errors may come from another realm (jest's sandbox).
  for (let e = err as ErrorLike | undefined, depth = 0; isObject(e) && depth < 4; e = e.cause as ErrorLike | undefined, depth++) {
    if (typeof e.code === 'string' && CODES[e.code]) return CODES[e.code];
  }
  const message = messageOf(err);
  const cause = isObject(err) ? messageOf(err.cause) : undefined;
  return cause ? `${message} (${cause})` : (message ?? String(err));
}

function isObject(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null;
}

function messageOf(value: unknown): string | undefined {
  return isObject(value) && typeof value.message === 'string' ? value.message : undefined;
}
