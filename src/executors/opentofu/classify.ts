/**
 * Which tofu failures are worth retrying. tofu exits 1 for everything, so the only evidence is
 * its stderr: a held lock, a timeout, throttling or a dropped connection passes with time; any
 * other error (HCL, validation, a missing variable, a provider rejecting the change) does not.
 * The patterns match OpenTofu's and Terraform's messages and the cloud SDKs' errors they relay.
 */
import { PermanentDeployError, TransientDeployError } from '../errors';

/** Someone else (another run, a person) holds the state lock longer than `lock_timeout`. */
export class StateLockedError extends TransientDeployError {}
/** The provider's API asked us to slow down. */
export class ThrottledError extends TransientDeployError {}
/** A connection dropped, timed out or was refused, or the API said it is unavailable (502/503/504). */
export class ConnectionError extends TransientDeployError {}
/** tofu was killed by a signal we did not send (OOM killer, a person): nothing says the change is bad. */
export class TofuKilledError extends TransientDeployError {}
/** Configuration, validation or an API refusal: retrying the same module and vars fails the same way. */
export class TofuConfigError extends PermanentDeployError {}

type TransientClass = typeof StateLockedError;

/** First match wins; the phrases are specific, so a variable called `timeout` is no evidence. */
const TRANSIENT_PATTERNS: Array<[RegExp, TransientClass]> = [
  [/Error acquiring the state lock/i, StateLockedError],
  [/Throttling|rate exceeded|TooManyRequests|Too Many Requests|\b429\b|SlowDown|RequestLimitExceeded/i, ThrottledError],
  [
    /connection reset|connection refused|broken pipe|i\/o timeout|TLS handshake timeout|context deadline exceeded|timed out|timeout while waiting|Client\.Timeout exceeded|unexpected EOF|StatusCode: 50[234]\b|Service ?Unavailable/i,
    ConnectionError,
  ],
];

/** The error for a failed tofu command: `message` says what ran and ends with its stderr tail. */
export function classifyTofuFailure(message: string, exit: { code: number | null; signal: string | null }, stderr: string): Error {
  for (const [pattern, ErrorClass] of TRANSIENT_PATTERNS) {
    if (pattern.test(stderr)) return new ErrorClass(message);
  }
  if (exit.code === null) return new TofuKilledError(message);
  return new TofuConfigError(message);
}
