/**
 * HTTP client for the simulated cloud, used by the simulated executor (apply/verify/compensate)
 * and by tests (inspection and control). Failures are classified for retrying: see errors.ts.
 */
import { SimCloudError, SimCloudPermanentError, SimCloudTransientError } from './errors';
import type {
  ApplyRequest,
  ApplyResult,
  CallRecord,
  CompensateRequest,
  CompensateResult,
  FaultOverride,
  HoldInfo,
  HoldOp,
  Resource,
  ServiceHealth,
  ServiceRecord,
  VerifyRequest,
  VerifyResult,
} from './types';

export interface SimCloudClientOptions {
  /** Bounds one HTTP request (default 60 s; 0: unbounded). A timeout is a transient error. */
  requestTimeoutMs?: number;
}

interface Answer {
  status: number;
  body: unknown;
}

const enc = encodeURIComponent;
const HOLD_POLL_MS = 50;

export class SimCloudClient {
  private readonly baseUrl: string;
  private readonly requestTimeoutMs: number;

  constructor(baseUrl: string, opts: SimCloudClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 60_000;
  }

  // ---- operations (the executor's side) -------------------------------------------------------

  apply(req: ApplyRequest, signal?: AbortSignal): Promise<ApplyResult> {
    const { service, ...body } = req;
    return this.call<ApplyResult>('POST', `/services/${enc(service)}/apply`, body, signal);
  }

  verify(req: VerifyRequest, signal?: AbortSignal): Promise<VerifyResult> {
    const { service, ...body } = req;
    return this.call<VerifyResult>('POST', `/services/${enc(service)}/verify`, body, signal);
  }

  compensate(req: CompensateRequest, signal?: AbortSignal): Promise<CompensateResult> {
    const { service, ...body } = req;
    return this.call<CompensateResult>('POST', `/services/${enc(service)}/compensate`, body, signal);
  }

  // ---- inspection ---------------------------------------------------------------------------

  /** The service's current record, or null when it is not deployed. */
  async getService(service: string): Promise<ServiceRecord | null> {
    const answer = await this.request('GET', `/services/${enc(service)}`, undefined, undefined, [404]);
    return answer.status === 404 ? null : (answer.body as ServiceRecord);
  }

  /** `{ status: 'healthy', version }`, or `unhealthy`/`absent` (the server answers those with 503). */
  async health(service: string): Promise<ServiceHealth> {
    const answer = await this.request('GET', `/health/${enc(service)}`, undefined, undefined, [503]);
    return answer.body as ServiceHealth;
  }

  resources(): Promise<Resource[]> {
    return this.call<Resource[]>('GET', '/resources');
  }

  calls(filter: { service?: string; op?: string } = {}): Promise<CallRecord[]> {
    const query = new URLSearchParams();
    if (filter.service) query.set('service', filter.service);
    if (filter.op) query.set('op', filter.op);
    const suffix = query.size > 0 ? `?${query}` : '';
    return this.call<CallRecord[]>('GET', `/calls${suffix}`);
  }

  /** True when the server answers its own health check. Never throws. */
  async ping(): Promise<boolean> {
    try {
      await this.call('GET', '/health');
      return true;
    } catch {
      return false;
    }
  }

  // ---- control (tests) ----------------------------------------------------------------------

  async hold(service: string, op: HoldOp): Promise<void> {
    await this.call('POST', '/control/holds', { service, op });
  }

  /** Lets every request blocked on the hold proceed and removes it (no-op if it is not set). */
  async release(service: string, op: HoldOp): Promise<void> {
    await this.call('DELETE', `/control/holds/${enc(service)}/${enc(op)}`);
  }

  holds(): Promise<HoldInfo[]> {
    return this.call<HoldInfo[]>('GET', '/control/holds');
  }

  /** Polls until at least `count` (default 1) requests are blocked on the hold; throws after `timeoutMs` (default 30 s). */
  async waitUntilHeld(service: string, op: HoldOp, opts: { count?: number; timeoutMs?: number } = {}): Promise<void> {
    const count = opts.count ?? 1;
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const holds = await this.holds();
      const waiting = holds.find((h) => h.service === service && h.op === op)?.waiting;
      if (waiting !== undefined && waiting >= count) return;
      if (Date.now() >= deadline) {
        throw new Error(
          `waited ${timeoutMs} ms for ${count} request(s) held on ${op} of "${service}"; ` +
            (waiting === undefined ? 'that hold is not set' : `${waiting} waiting`) +
            ` (holds: ${JSON.stringify(holds)})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, HOLD_POLL_MS));
    }
  }

  async setOverride(service: string, override: FaultOverride): Promise<void> {
    await this.call('PUT', `/control/overrides/${enc(service)}`, override);
  }

  async clearOverride(service: string): Promise<void> {
    await this.call('DELETE', `/control/overrides/${enc(service)}`);
  }

  async reset(): Promise<void> {
    await this.call('POST', '/control/reset');
  }

  // ---- transport ----------------------------------------------------------------------------

  private async call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    return (await this.request(method, path, body, signal)).body as T;
  }

  /** One HTTP exchange; statuses outside 2xx and `accept` become SimCloudErrors. */
  private async request(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    accept: number[] = [],
  ): Promise<Answer> {
    signal?.throwIfAborted();
    const what = `${method} ${path}`;
    const timeout = this.requestTimeoutMs > 0 ? AbortSignal.timeout(this.requestTimeoutMs) : undefined;
    const signals = [signal, timeout].filter((s): s is AbortSignal => s !== undefined);
    let status: number;
    let text: string;
    try {
      const res = await fetch(this.baseUrl + path, {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signals.length > 0 ? AbortSignal.any(signals) : undefined,
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      // The caller's abort is passed through untouched: it is a cancellation, not a failure to retry.
      if (signal?.aborted) throw signal.reason;
      if (timeout?.aborted) {
        throw new SimCloudTransientError(`${what}: no answer within ${this.requestTimeoutMs} ms`, {
          code: 'timeout',
          status: 0,
          cause: err,
        });
      }
      const code = networkErrorCode(err);
      throw new SimCloudTransientError(`${what}: ${code} reaching ${this.baseUrl}`, { code, status: 0, cause: err });
    }
    const parsed = parseJson(text);
    if ((status >= 200 && status < 300) || accept.includes(status)) {
      if (parsed === undefined) {
        throw new SimCloudTransientError(`${what}: answer is not JSON (HTTP ${status})`, { code: 'bad_response', status });
      }
      return { status, body: parsed };
    }
    throw errorFromAnswer(what, status, parsed);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET…: fetch hides the socket error in `cause`. */
function networkErrorCode(err: unknown): string {
  // Duck-typed, not `instanceof Error`: fetch's errors may come from another realm (e.g. under jest).
  let current = err as { code?: unknown; cause?: unknown; errors?: unknown[] } | undefined;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    if (typeof current.code === 'string') return current.code;
    // Connecting to "localhost" tries several addresses and reports an AggregateError.
    current = (current.cause ?? current.errors?.[0]) as typeof current;
  }
  return 'network_error';
}

function errorFromAnswer(what: string, status: number, body: unknown): SimCloudError {
  const error = (body as { error?: { code?: unknown; message?: unknown; retryable?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : `http_${status}`;
  const message = `${what}: ${typeof error?.message === 'string' ? error.message : `HTTP ${status}`}`;
  const retryable =
    typeof error?.retryable === 'boolean' ? error.retryable : status >= 500 || status === 429 || status === 408;
  return retryable
    ? new SimCloudTransientError(message, { code, status })
    : new SimCloudPermanentError(message, { code, status });
}
