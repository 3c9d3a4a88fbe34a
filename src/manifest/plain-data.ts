/**
 * A parsed manifest must be plain JSON data before the schema sees it: it travels to the worker
 * through Temporal as JSON, so anything JSON cannot carry would arrive changed (NaN and Infinity
 * become null, a YAML !!set or !!timestamp an empty object or a string), and a `__proto__` key is
 * silently dropped when the document is copied. Deep nesting is refused here too, by a documented
 * limit, before recursive code (the schema, reference scans, JSON.stringify) overflows the stack.
 * Found by the fuzzer (FUZZ.md). Iterative, so it cannot overflow itself. Pure: workflow code may call it.
 */
import { formatPath, type ManifestIssue, type PathSegment } from './errors';

/** Levels of mappings and lists, the document itself included; real manifests use about ten. */
export const MAX_NESTING_DEPTH = 64;

/** Reported per document; past this the rest is the same mistake again. */
const MAX_ISSUES = 20;

function describeNonJson(value: unknown): string | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : `${String(value)} is not a number JSON can carry; write a finite number, or quote it as a string`;
  }
  // undefined: a key set to nothing by a programmatic caller, absent once serialised (the schema decides if it is required).
  if (value === null || value === undefined || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (Array.isArray(value)) return undefined;
  if (typeof value === 'object') {
    // A plain object's prototype is some realm's Object.prototype (jest and vm contexts have their
    // own), whose own prototype is null; a Set's or a Date's is one step further from null.
    const proto = Object.getPrototypeOf(value) as object | null;
    if (proto === null || Object.getPrototypeOf(proto) === null) return undefined;
    const kind = (value as object).constructor?.name ?? 'object';
    return `a ${kind} (from a YAML tag such as !!set, !!timestamp or !!binary) is not plain data; write a string, number, list or mapping`;
  }
  return `a ${typeof value} is not plain data; write a string, number, list or mapping`;
}

export function plainDataIssues(raw: unknown): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const stack: Array<{ value: unknown; path: PathSegment[] }> = [{ value: raw, path: [] }];
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const { value, path } = stack.pop() as { value: unknown; path: PathSegment[] };
    const problem = describeNonJson(value);
    if (problem) {
      issues.push({ path: formatPath(path), message: problem });
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (path.length >= MAX_NESTING_DEPTH) {
      issues.push({
        path: formatPath(path),
        message: `nested more than ${MAX_NESTING_DEPTH} levels deep; flatten the value, or move it into a file the executor reads (config: ./path/to/dir)`,
      });
      continue;
    }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
      continue;
    }
    const keys = Object.keys(value);
    if (Object.hasOwn(value, '__proto__')) {
      issues.push({
        path: formatPath(path),
        message: 'key "__proto__" is not allowed: it would be dropped when the manifest is copied; rename it',
      });
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      if (keys[i] === '__proto__') continue;
      stack.push({ value: (value as Record<string, unknown>)[keys[i]], path: [...path, keys[i]] });
    }
  }
  return issues;
}
