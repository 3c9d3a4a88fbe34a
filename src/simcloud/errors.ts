/**
 * Errors the SimCloudClient throws. The split that matters to callers is retryable or not:
 * the executor retries SimCloudTransientError and fails the step on SimCloudPermanentError.
 * An abort through the caller's AbortSignal is never wrapped: it rejects with the signal's reason.
 */

export class SimCloudError extends Error {
  /** The server's error code (`unavailable`, `permanent`, …) or, for network failures, the socket error code. */
  readonly code: string;
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  readonly retryable: boolean;

  constructor(message: string, opts: { code: string; status: number; retryable: boolean; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = opts.code;
    this.status = opts.status;
    this.retryable = opts.retryable;
  }
}

/** 5xx/429 answers marked retryable, refused/reset connections and request timeouts. */
export class SimCloudTransientError extends SimCloudError {
  constructor(message: string, opts: { code: string; status: number; cause?: unknown }) {
    super(message, { ...opts, retryable: true });
  }
}

/** 4xx answers (bad request, simulated permanent failure): retrying cannot help. */
export class SimCloudPermanentError extends SimCloudError {
  constructor(message: string, opts: { code: string; status: number; cause?: unknown }) {
    super(message, { ...opts, retryable: false });
  }
}
