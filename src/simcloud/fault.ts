/**
 * Server side: an HTTP error answer, thrown anywhere in request handling and turned into
 * `{ error: { code, message, retryable } }` by the server. `outcome` is what the call log records.
 */
import type { CallOutcome } from './types';

export class HttpFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    readonly outcome: CallOutcome = retryable ? 'transient_error' : 'permanent_error',
  ) {
    super(message);
    this.name = 'HttpFault';
  }
}

export const badRequest = (message: string) => new HttpFault(400, 'bad_request', message, false);
export const notFound = (message: string) => new HttpFault(404, 'not_found', message, false);
