/**
 * The smallest JSON path that outputs need: `$`, `.name` and `[index]` steps (JSON_PATH_PATTERN).
 * No wildcards or filters: an output is one value, so a path must name exactly one.
 */
import { JSON_PATH_PATTERN } from './schema';

export type JsonPathStep = string | number;

const STEP = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]/g;

export function parseJsonPath(path: string): JsonPathStep[] {
  if (!JSON_PATH_PATTERN.test(path)) throw new RangeError(`not a JSON path: ${JSON.stringify(path)}`);
  return [...path.slice(1).matchAll(STEP)].map((m) => (m[1] !== undefined ? m[1] : Number(m[2])));
}

/** The value at `path`, or found: false when a step names a missing key or index (or the wrong kind of value). */
export function pickJsonPath(document: unknown, path: string): { found: true; value: unknown } | { found: false } {
  let current = document;
  for (const step of parseJsonPath(path)) {
    if (typeof step === 'number') {
      if (!Array.isArray(current) || step >= current.length) return { found: false };
      current = current[step];
    } else {
      // Own keys only: `$.constructor` must not find Object's prototype.
      if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, step)) {
        return { found: false };
      }
      current = (current as Record<string, unknown>)[step];
    }
  }
  return { found: true, value: current };
}
