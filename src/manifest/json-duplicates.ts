/**
 * Duplicate keys in JSON text. JSON.parse keeps the last of two equal keys silently, so a manifest
 * written as JSON could say `"environment": "staging"` and, further down, `"environment": "prod"`
 * and deploy to prod without a word, where the same document in YAML is refused (found by the
 * fuzzer, FUZZ.md). Runs only on text JSON.parse accepted, so it can assume well-formed JSON.
 * Iterative (no recursion) and linear. Pure.
 */
import { formatPath, type ManifestIssue, type PathSegment } from './errors';

interface Level {
  /** Keys seen so far; undefined for a list. */
  keys?: Set<string>;
  /** The current key (mapping) or index (list). */
  at: PathSegment;
}

/** Reads the string literal starting at `start` (a `"`); returns its value and the index after it. */
function readString(text: string, start: number): { value: string; end: number } {
  let i = start + 1;
  while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return { value: JSON.parse(text.slice(start, i + 1)) as string, end: i + 1 };
}

export function duplicateJsonKeys(text: string, maxIssues = 20): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const stack: Level[] = [];
  let i = 0;
  while (i < text.length && issues.length < maxIssues) {
    const ch = text[i];
    if (ch === '"') {
      const { value, end } = readString(text, i);
      i = end;
      while (/\s/.test(text[i] ?? '')) i++;
      const top = stack[stack.length - 1];
      if (text[i] === ':' && top?.keys) {
        if (top.keys.has(value)) {
          const path = [...stack.slice(0, -1).map((level) => level.at), value];
          issues.push({
            path: formatPath(path),
            message: `duplicate key ${JSON.stringify(value)}; keys in a mapping must be unique, remove or rename one`,
          });
        }
        top.keys.add(value);
        top.at = value;
      }
      continue;
    }
    if (ch === '{') stack.push({ keys: new Set(), at: '' });
    else if (ch === '[') stack.push({ at: 0 });
    else if (ch === '}' || ch === ']') stack.pop();
    else if (ch === ',') {
      const top = stack[stack.length - 1];
      if (top && !top.keys) top.at = (top.at as number) + 1;
    }
    i++;
  }
  return issues;
}
