/**
 * What goes wrong with Tugboat's search attributes on a cluster Tugboat did not start, as errors
 * that name the attributes and the exact commands that fix it (instead of a raw gRPC status).
 */
import { isGrpcServiceError } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { TUGBOAT_SEARCH_ATTRIBUTES } from '../api/search-attributes';

/** `temporal … --type` and `--search-attribute Name=Type` spell types the way the CLI does. */
export const CLI_TYPE_NAMES: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

// gRPC status codes are part of the wire protocol; @grpc/grpc-js is not our dependency to import.
const INVALID_ARGUMENT = 3;
const PERMISSION_DENIED = 7;
const UNIMPLEMENTED = 12;

/** The namespace lacks some of Tugboat's search attributes and Tugboat may not (or did not) add them. */
export class SearchAttributesMissingError extends Error {
  constructor(
    readonly namespace: string,
    readonly missing: string[],
    /** Why Tugboat did not add them itself: the server's refusal. */
    readonly reason: string,
    /** True when `tugboat setup` may fix it (the operator API was not tried yet). */
    setupMayFix = false,
  ) {
    super(missingMessage(namespace, missing, reason, setupMayFix));
    this.name = 'SearchAttributesMissingError';
  }
}

/** An attribute exists under Tugboat's name with another type: workflows could not set it. */
export class SearchAttributeTypeError extends Error {
  constructor(
    readonly namespace: string,
    readonly attribute: string,
    readonly actualType: string,
    readonly expectedType: string,
  ) {
    super(
      `search attribute ${attribute} in namespace "${namespace}" has type ${actualType}, but Tugboat needs ${expectedType}. ` +
        `A search attribute's type cannot be changed: remove it (temporal operator search-attribute remove ` +
        `--namespace ${namespace} --name ${attribute}) and run \`tugboat setup\` again, or use another namespace`,
    );
    this.name = 'SearchAttributeTypeError';
  }
}

function missingMessage(namespace: string, missing: string[], reason: string, setupMayFix: boolean): string {
  const keys = TUGBOAT_SEARCH_ATTRIBUTES.filter((key) => missing.includes(key.name));
  const create = keys.map(
    (key) => `  temporal operator search-attribute create --namespace ${namespace} --name ${key.name} --type ${CLI_TYPE_NAMES[key.type]}`,
  );
  const tcld = keys.map((key) => `--search-attribute "${key.name}=${CLI_TYPE_NAMES[key.type]}"`).join(' ');
  return [
    `namespace "${namespace}" lacks Tugboat's search attributes ${missing.join(', ')} (${reason}).`,
    setupMayFix
      ? 'Run `tugboat setup` once (it adds them where the operator API allows), or add them yourself:'
      : 'Tugboat is not allowed to add them itself; someone with admin rights on the namespace must, once:',
    ...create,
    '  (the temporal CLI reads the same TEMPORAL_ADDRESS, TEMPORAL_API_KEY and TLS settings as Tugboat)',
    `On Temporal Cloud: the namespace's page in the Cloud UI (https://cloud.temporal.io, Namespaces → ${namespace}), or`,
    `  tcld namespace search-attributes add --namespace ${namespace} ${tcld}`,
  ].join('\n');
}

/** The server refused an operator API call for lack of rights (Temporal Cloud with an API key) or support. */
export function isNotAllowed(err: unknown): boolean {
  return isGrpcServiceError(err) && (err.code === PERMISSION_DENIED || err.code === UNIMPLEMENTED);
}

/**
 * The Tugboat attribute a server error says is unknown, if that is what it says. Servers word it
 * differently ("no mapping defined for search attribute X" with SQL visibility, "search attribute
 * X is not defined" with Elasticsearch, "'X' is not a valid search attribute" in queries), but
 * always INVALID_ARGUMENT naming the attribute; the SDK may wrap it (ServiceError.cause).
 */
export function unknownSearchAttributeIn(err: unknown): string | undefined {
  const grpc = grpcErrorIn(err);
  if (grpc?.code !== INVALID_ARGUMENT) return undefined;
  const key = TUGBOAT_SEARCH_ATTRIBUTES.find((k) => new RegExp(`\\b${k.name}\\b`).test(grpc.message));
  return key && /search attribute/i.test(grpc.message) ? key.name : undefined;
}

/** The server's own words for a message: "PERMISSION_DENIED: …" (gRPC prefixes the numeric code). */
export function serverReason(err: unknown): string {
  const inner = grpcErrorIn(err) ?? err;
  const message = inner instanceof Error ? inner.message : String(inner);
  return message.replace(/^\d+ (?=[A-Z_]+:)/, '');
}

/** The gRPC error itself: the SDK wraps it ("Failed to start Workflow", with the status as cause). */
function grpcErrorIn(err: unknown) {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e)) return e;
  }
  return undefined;
}
