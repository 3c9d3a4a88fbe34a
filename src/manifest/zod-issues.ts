/**
 * Turns zod's issues into messages a person can act on: what is wrong at which path, what is
 * expected instead and, where a near miss is likely, a "did you mean". Looks at the raw input to
 * tell "missing" from "wrong", and at the schema to list known keys and allowed values.
 */
import { z } from 'zod';
import { configSchema, durationSchema, manifestSchema } from './schema';
import { formatPath, type ManifestIssue, type PathSegment } from './errors';
import { didYouMeanSuffix } from './suggest';

type ZodIssue = z.core.$ZodIssue;

/** zod's own wording starts like this; anything else is a message written in schema.ts. */
const ZOD_DEFAULT_MESSAGE = /^(Invalid|Too (small|big)|Unrecognized key|Expected)/;
const DURATION_HINT = 'a duration such as "500ms", "30s", "5m" or "1h" (a bare number means milliseconds)';
const CONFIG_HINT = 'a path string (e.g. "./terraform/vpc") or a mapping of settings';
const URL_HINT = 'an absolute http(s) URL such as "https://api.example.com/health"';
const NAME_HINT = 'a name of lowercase letters, digits and "-" (e.g. "backend-api")';

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
};

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodDefault || current instanceof z.ZodPrefault || current instanceof z.ZodOptional) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      // A transformed object (a service, whose executor default is filled in after parsing): its input side.
      current = current.in as z.ZodType;
    } else return current;
  }
}

/** The schema that governs the value at path, defaults and optionals peeled off. */
export function schemaAt(path: readonly PathSegment[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = unwrap(manifestSchema);
  for (const segment of path) {
    if (current instanceof z.ZodObject && typeof segment === 'string') {
      current = (current.shape as Record<string, z.ZodType | undefined>)[segment];
    } else if (current instanceof z.ZodArray && typeof segment === 'number') {
      current = current.element as z.ZodType;
    } else if (current instanceof z.ZodRecord) {
      current = current.valueType as z.ZodType;
    } else {
      return undefined;
    }
    if (current === undefined) return undefined;
    current = unwrap(current);
  }
  return current;
}

/** The raw value at path, undefined when any step is missing. */
export function valueAt(raw: unknown, path: readonly PathSegment[]): unknown {
  let current = raw;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/** A short rendering of what the user wrote: `"5x"`, `3`, `null`, `a list`, `a mapping`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'a mapping';
  return String(value);
}

function isNameField(path: readonly PathSegment[]): boolean {
  const last = path[path.length - 1];
  return last === 'name' || last === 'environment';
}

/** "what to write here", without the leading "expected" for enums ("one of a, b"). */
function expectation(issue: ZodIssue, path: readonly PathSegment[]): string {
  const schema = schemaAt(path);
  if (schema === durationSchema) return `expected ${DURATION_HINT}`;
  if (schema === configSchema) return `expected ${CONFIG_HINT}`;
  if (issue.code === 'invalid_value') return `one of ${issue.values.map(String).join(', ')}`;
  if (schema instanceof z.ZodEnum) return `one of ${schema.options.map(String).join(', ')}`;
  if (schema instanceof z.ZodURL) return `expected ${URL_HINT}`;
  if (isNameField(path)) return `expected ${NAME_HINT}`;
  if (issue.code === 'invalid_type') return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
  return 'expected a value';
}

function unknownKeyMessage(path: readonly PathSegment[], key: string): string {
  const schema = schemaAt(path);
  const shape = schema instanceof z.ZodObject ? (schema.shape as Record<string, z.ZodType>) : {};
  const known = Object.keys(shape);
  const suggestion = didYouMeanSuffix(key, known);
  if (suggestion) return `unknown key ${JSON.stringify(key)}${suggestion}`;
  // A known key one level too high, e.g. `max_parallel` directly under `deployment`.
  for (const field of known) {
    let child = unwrap(shape[field]);
    let where = formatPath([...path, field]);
    if (child instanceof z.ZodArray) {
      child = unwrap(child.element as z.ZodType);
      where = `each entry of ${where}`;
    }
    if (child instanceof z.ZodObject && Object.hasOwn(child.shape, key)) {
      return `unknown key ${JSON.stringify(key)} here; it belongs under ${where}`;
    }
  }
  return `unknown key ${JSON.stringify(key)}; allowed keys are ${known.join(', ')}`;
}

function sizeMessage(issue: ZodIssue & { code: 'too_small' | 'too_big' }, value: unknown): string {
  const custom = !ZOD_DEFAULT_MESSAGE.test(issue.message);
  if (custom) return issue.message;
  const small = issue.code === 'too_small';
  const bound = Number(small ? issue.minimum : issue.maximum);
  if (issue.origin === 'string') {
    if (small && bound === 1) return 'must not be empty';
    return `must have ${small ? 'at least' : 'at most'} ${bound} characters, got ${String(value).length}`;
  }
  if (issue.origin === 'array') {
    return `must have ${small ? 'at least' : 'at most'} ${bound} entries, got ${Array.isArray(value) ? value.length : '?'}`;
  }
  const comparison = small
    ? issue.inclusive ? 'at least' : 'greater than'
    : issue.inclusive ? 'at most' : 'less than';
  return `must be ${comparison} ${bound}, got ${describeValue(value)}`;
}

function formatMessage(issue: ZodIssue & { code: 'invalid_format' }, path: readonly PathSegment[], value: unknown): string {
  const custom = ZOD_DEFAULT_MESSAGE.test(issue.message) ? undefined : issue.message;
  if (issue.format === 'url') {
    return `${describeValue(value)} is not a valid URL; ${custom ?? `expected ${URL_HINT}`}`;
  }
  if (isNameField(path)) return `${describeValue(value)} is not a valid name; ${custom ?? `expected ${NAME_HINT}`}`;
  return `${describeValue(value)} has the wrong format${custom ? `; ${custom}` : ''}`;
}

/** One zod issue → one or more readable issues (one per unknown key). */
export function explainZodIssue(issue: ZodIssue, raw: unknown): ManifestIssue[] {
  const path: PathSegment[] = issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
  const at = formatPath(path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: at, message: unknownKeyMessage(path, key) }));
  }
  const value = valueAt(raw, path);
  const one = (message: string): ManifestIssue[] => [{ path: at, message }];

  if (value === undefined) {
    if (path.length === 0) return one('the document is empty; expected a mapping with a "deployment" key');
    return one(`required; ${expectation(issue, path)}`);
  }
  if (value === null && (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union')) {
    return one(`has no value; ${expectation(issue, path)}`);
  }
  if (schemaAt(path) === durationSchema) {
    return one(`${describeValue(value)} is not a valid duration; expected ${DURATION_HINT}`);
  }
  switch (issue.code) {
    case 'invalid_type': {
      const hint = issue.expected === 'array' && typeof value === 'string' ? `; for a single entry write [${value}]` : '';
      return one(`${expectation(issue, path)}, got ${describeValue(value)}${hint}`);
    }
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      if (typeof value !== 'string') return one(`expected ${expectation(issue, path)}, got ${describeValue(value)}`);
      return one(`${describeValue(value)} is not ${expectation(issue, path)}${didYouMeanSuffix(value, allowed)}`);
    }
    case 'invalid_union':
      return one(`${expectation(issue, path)}, got ${describeValue(value)}`);
    case 'too_small':
    case 'too_big':
      return one(sizeMessage(issue, value));
    case 'invalid_format':
      return one(formatMessage(issue, path, value));
    default:
      return one(ZOD_DEFAULT_MESSAGE.test(issue.message) ? `${describeValue(value)} is invalid: ${issue.message}` : issue.message);
  }
}
