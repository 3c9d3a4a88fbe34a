/**
 * Output references inside a service's config: `${{ services.<name>.outputs.<key> }}`.
 * A service's config may use what an upstream service produced (an endpoint, an ID); the plan checks
 * the reference points upstream, and the workflow resolves it once that service has succeeded.
 * Pure: workflow code calls resolveReferences.
 */
import { formatPath, type PathSegment } from './errors';
import type { ServiceConfig } from './schema';

/** Any `${{ … }}` expression; only the services/outputs form below is understood. */
const EXPRESSION = /\$\{\{(.*?)\}\}/g;
const REFERENCE_BODY = /^\s*services\.([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.outputs\.([A-Za-z0-9_-]+)\s*$/;

export const REFERENCE_SYNTAX = '${{ services.<name>.outputs.<key> }}';

export interface OutputReference {
  service: string;
  output: string;
  /** Where in the service, e.g. `config`, `config.api_url`, `config.hosts[0]`. */
  path: string;
}

export interface ScannedExpression {
  /** The whole `${{ … }}` text. */
  expression: string;
  path: string;
  /** Set when the expression is a well-formed output reference. */
  reference?: { service: string; output: string };
}

/** Thrown when a referenced output does not exist (yet); names which one. */
export class UnresolvedReferenceError extends Error {
  readonly service: string;
  readonly output: string;

  constructor(service: string, output: string) {
    super(`services.${service}.outputs.${output} is not available: ${service} produced no output "${output}"`);
    this.name = 'UnresolvedReferenceError';
    this.service = service;
    this.output = output;
  }
}

/** Calls visit for every string in a config value (strings, arrays, nested records). */
function eachString(value: unknown, path: PathSegment[], visit: (text: string, path: string) => void): void {
  if (typeof value === 'string') visit(value, formatPath(path));
  else if (Array.isArray(value)) value.forEach((item, i) => eachString(item, [...path, i], visit));
  else if (isRecord(value)) for (const [key, item] of Object.entries(value)) eachString(item, [...path, key], visit);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every `${{ … }}` expression in a config, in document order; reference is set when well-formed. */
export function scanExpressions(config: unknown, basePath = 'config'): ScannedExpression[] {
  const found: ScannedExpression[] = [];
  eachString(config, [basePath], (text, path) => {
    for (const match of text.matchAll(EXPRESSION)) {
      const body = REFERENCE_BODY.exec(match[1]);
      found.push({ expression: match[0], path, reference: body ? { service: body[1], output: body[2] } : undefined });
    }
  });
  return found;
}

/** Every well-formed reference in a config, in document order. */
export function findReferences(config: unknown, basePath = 'config'): OutputReference[] {
  return scanExpressions(config, basePath).flatMap(({ path, reference }) => (reference ? [{ ...reference, path }] : []));
}

function resolveValue(value: unknown, outputs: Record<string, Record<string, string>>): unknown {
  if (typeof value === 'string') {
    return value.replace(EXPRESSION, (expression, body: string) => {
      const reference = REFERENCE_BODY.exec(body);
      if (!reference) return expression; // not ours: leave it for whoever understands it
      const [, service, output] = reference;
      const produced = Object.hasOwn(outputs, service) ? outputs[service] : undefined;
      if (!produced || !Object.hasOwn(produced, output)) throw new UnresolvedReferenceError(service, output);
      return produced[output];
    });
  }
  if (Array.isArray(value)) return value.map((item) => resolveValue(item, outputs));
  if (isRecord(value)) {
    const resolved: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) resolved[key] = resolveValue(item, outputs);
    return resolved;
  }
  return value;
}

/**
 * The config with every reference (whole string or embedded) replaced by the named service's output.
 * Throws UnresolvedReferenceError when an output is missing; other `${{ … }}` text is left as is.
 */
export function resolveReferences(config: ServiceConfig, outputs: Record<string, Record<string, string>>): ServiceConfig;
export function resolveReferences(
  config: ServiceConfig | undefined,
  outputs: Record<string, Record<string, string>>,
): ServiceConfig | undefined;
export function resolveReferences(
  config: ServiceConfig | undefined,
  outputs: Record<string, Record<string, string>>,
): ServiceConfig | undefined {
  return resolveValue(config, outputs) as ServiceConfig | undefined;
}
