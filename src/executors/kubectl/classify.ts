/**
 * Which kubectl failures are worth retrying. kubectl exits 1 for everything, so the evidence is its
 * stderr: the API server's reason (`Error from server (Conflict): …`) or the client's own message.
 * Exported for every executor that drives the Kubernetes API through a CLI (helm relays the same
 * errors). Each line is judged on its own: one invalid object among several makes the whole
 * apply fail the same way next time, whatever else went wrong beside it.
 */
import { PermanentDeployError, TransientDeployError } from '../errors';

/** The API server cannot be reached or says it is unavailable (starting, overloaded, a 502/503/504). */
export class KubeApiUnavailableError extends TransientDeployError {}
/** 429: the API server (or its priority and fairness) asked us to slow down. */
export class KubeThrottledError extends TransientDeployError {}
/** 500: the server (or a webhook it called) failed; nothing says the change itself is wrong. */
export class KubeServerError extends TransientDeployError {}
/** Someone changed the object meanwhile, or its namespace is still being deleted: try again. */
export class KubeConflictError extends TransientDeployError {}
/** kubectl was killed by a signal we did not send (OOM killer, a person). */
export class KubectlKilledError extends TransientDeployError {}

/** 422 and client-side validation: the object as written is rejected. */
export class KubeInvalidObjectError extends PermanentDeployError {}
/** Forbidden or unauthorized: the credentials lack a permission. */
export class KubeForbiddenError extends PermanentDeployError {}
/** The cluster has no such kind (a CRD not installed, a removed API version). */
export class KubeUnknownKindError extends PermanentDeployError {}
/** Any other refusal: retrying the same objects fails the same way. */
export class KubectlError extends PermanentDeployError {}

type ErrorClass = new (message: string) => Error;

/**
 * Checked in this order, per line. Exceptions come before the general rules: a namespace being
 * terminated answers Forbidden, a webhook that cannot be reached answers InternalError, and an API
 * server that cannot be reached while kubectl validates says "error validating".
 */
const PATTERNS: Array<[RegExp, ErrorClass]> = [
  [/failed to download openapi|error validating .*dial tcp|watch closed before/i, KubeApiUnavailableError],
  [/because it is being terminated|object is being deleted/i, KubeConflictError],
  [/Operation cannot be fulfilled|the object has been modified|Error from server \(Conflict\)/i, KubeConflictError],
  [/Error from server \(Forbidden\)|\bis forbidden\b|\(Unauthorized\)|must be logged in to the server/i, KubeForbiddenError],
  [/no matches for kind|the server doesn't have a resource type|resource mapping not found|could not find the requested resource/i, KubeUnknownKindError],
  [
    /\bis invalid\b|Invalid value|error validating|Error from server \(BadRequest\)|Error from server \(Invalid\)|error converting YAML|error parsing|unable to decode|cannot unmarshal|Required value/i,
    KubeInvalidObjectError,
  ],
  [/TooManyRequests|too many requests|status code 429|\(429\)/i, KubeThrottledError],
  [
    /connection refused|connection to the server .* was refused|Unable to connect to the server|i\/o timeout|TLS handshake timeout|connection reset|broken pipe|client connection lost|unexpected EOF|context deadline exceeded|currently unable to handle the request|ServiceUnavailable|Service Unavailable|Error from server \((Timeout|ServerTimeout|GatewayTimeout)\)|request timed out|the server was unable to return a response|no route to host|timed out waiting for the condition/i,
    KubeApiUnavailableError,
  ],
  [/InternalError|Internal error occurred|an error on the server|Error from server \(InternalServerError\)|status code 50[0-4]/i, KubeServerError],
];

const TRANSIENT_FIRST = new Set<ErrorClass>([KubeConflictError, KubeApiUnavailableError]);

/** The error for a failed kubectl (or helm) command: `message` says what ran and ends with its stderr tail. */
export function classifyKubeFailure(message: string, exit: { code: number | null; signal: string | null }, stderr: string): Error {
  const found = stderr
    .split(/\r?\n/)
    .map((line) => PATTERNS.find(([pattern]) => pattern.test(line))?.[1])
    .filter((c): c is ErrorClass => c !== undefined);
  // A namespace being deleted, a conflict or an unreachable server wins over anything it brings along: it passes.
  const transientFirst = found.find((c) => TRANSIENT_FIRST.has(c));
  if (transientFirst) return new transientFirst(message);
  const permanent = found.find((c) => c.prototype instanceof PermanentDeployError);
  if (permanent) return new permanent(message);
  if (found.length) return new found[0](message);
  if (exit.code === null) return new KubectlKilledError(message);
  return new KubectlError(message);
}
