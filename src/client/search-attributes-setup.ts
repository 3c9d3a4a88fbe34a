/**
 * Making sure a namespace has Tugboat's search attributes, on any cluster: the dev server Tugboat
 * starts, a docker compose stack, a production cluster, Temporal Cloud. Only Tugboat's own dev
 * server gets them at start; everywhere else the first deploy would fail without this. One
 * function serves `tugboat setup`, the worker's start and the dev server.
 */
import type { ConnectionLike } from '@temporalio/client';
// Not re-exported from the package root; the SDK's own test server uses it the same way.
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { TUGBOAT_SEARCH_ATTRIBUTES } from '../api/search-attributes';
import {
  CLI_TYPE_NAMES,
  isNotAllowed,
  SearchAttributesMissingError,
  SearchAttributeTypeError,
  serverReason,
  unknownSearchAttributeIn,
} from './search-attributes-errors';

/** A client's Connection, or anything else with the two services this needs. */
type Services = Pick<ConnectionLike, 'operatorService' | 'workflowService'>;

export interface SearchAttributesReport {
  namespace: string;
  /** Already there (with the right type, when the operator API let us look). */
  present: string[];
  added: string[];
}

/** A just-added attribute can lag in the server's cache; wait this long for queries to accept it. */
const QUERYABLE_TIMEOUT_MS = 10_000;
const QUERYABLE_POLL_MS = 100;

/**
 * Registers whichever of Tugboat's search attributes the namespace lacks. Throws
 * SearchAttributesMissingError (naming them and the commands that add them) when the server does
 * not let Tugboat add them, and SearchAttributeTypeError when one exists with another type.
 */
export async function ensureSearchAttributes(connection: Services, namespace: string): Promise<SearchAttributesReport> {
  const { missing, listRefused } = await findMissingSearchAttributes(connection, namespace);
  const present = TUGBOAT_SEARCH_ATTRIBUTES.map((key) => key.name).filter((name) => !missing.includes(name));
  if (missing.length === 0) return { namespace, present, added: [] };
  const searchAttributes = Object.fromEntries(
    TUGBOAT_SEARCH_ATTRIBUTES.filter((key) => missing.includes(key.name)).map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!]),
  );
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  } catch (err) {
    if (!isNotAllowed(err)) throw err;
    const refusals = [listRefused && `listing them: ${listRefused}`, `adding them: ${serverReason(err)}`].filter(Boolean);
    throw new SearchAttributesMissingError(namespace, missing, `the server refused ${refusals.join('; ')}`);
  }
  await waitUntilQueryable(connection, namespace, missing);
  return { namespace, present, added: missing };
}

/**
 * Which of Tugboat's attributes the namespace lacks. The operator API says so directly; where it is
 * refused (Temporal Cloud with an API key), a query naming each attribute tells, since the server
 * rejects a query on an attribute it does not know.
 */
export async function findMissingSearchAttributes(
  connection: Services,
  namespace: string,
): Promise<{ missing: string[]; listRefused?: string }> {
  let existing: Record<string, unknown>;
  try {
    existing = (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  } catch (err) {
    if (!isNotAllowed(err)) throw err;
    const names = TUGBOAT_SEARCH_ATTRIBUTES.map((key) => key.name);
    return { missing: await unqueryable(connection, namespace, names), listRefused: serverReason(err) };
  }
  for (const key of TUGBOAT_SEARCH_ATTRIBUTES) {
    const actual = existing[key.name];
    if (actual !== undefined && actual !== encodeSearchAttributeIndexedValueType(key.type)) {
      throw new SearchAttributeTypeError(namespace, key.name, typeName(actual), CLI_TYPE_NAMES[key.type]);
    }
  }
  return { missing: TUGBOAT_SEARCH_ATTRIBUTES.filter((key) => !(key.name in existing)).map((key) => key.name) };
}

/** The attributes among `names` that a visibility query in the namespace rejects as unknown. */
async function unqueryable(connection: Services, namespace: string, names: string[]): Promise<string[]> {
  const rejected: string[] = [];
  for (const name of names) {
    try {
      await connection.workflowService.countWorkflowExecutions({ namespace, query: `${name} = 'tugboat-setup-probe'` });
    } catch (err) {
      if (unknownSearchAttributeIn(err) !== name) throw err;
      rejected.push(name);
    }
  }
  return rejected;
}

/**
 * So that `tugboat setup && tugboat deploy` works at once. They were added either way, so this
 * never fails: past the deadline, or on a server whose visibility cannot count, it just returns.
 */
async function waitUntilQueryable(connection: Services, namespace: string, names: string[]): Promise<void> {
  const deadline = Date.now() + QUERYABLE_TIMEOUT_MS;
  const pending = () => unqueryable(connection, namespace, names).then((rejected) => rejected.length > 0, () => false);
  while ((await pending()) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, QUERYABLE_POLL_MS));
  }
}

function typeName(indexedValueType: unknown): string {
  const types = Object.keys(CLI_TYPE_NAMES) as (keyof typeof CLI_TYPE_NAMES)[];
  const type = types.find((t) => encodeSearchAttributeIndexedValueType(t) === indexedValueType);
  return type ? CLI_TYPE_NAMES[type] : `indexed value type ${String(indexedValueType)}`;
}
