/**
 * Manifest text (YAML or JSON) → validated manifest. Pure (no file access): the CLI reads the file,
 * the server receives text over HTTP, tests pass strings.
 */
import { parseDocument } from 'yaml';
import type { Manifest } from './schema';
import type { ManifestIssue } from './errors';
import { validateManifest } from './validate';
import { duplicateJsonKeys } from './json-duplicates';
import { MAX_NESTING_DEPTH } from './plain-data';

export type ParseResult = { ok: true; manifest: Manifest; raw: unknown } | { ok: false; issues: ManifestIssue[] };

const EMPTY_DOCUMENT = 'the document is empty; expected a mapping with a "deployment" key';

function looksLikeJson(text: string, sourceName: string): boolean {
  return sourceName.toLowerCase().endsWith('.json') || text.trimStart().startsWith('{');
}

/** 1-based line and column of a character offset. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

/** What one alias may expand to, at most: the yaml library's own guard against alias bombs ("billion laughs"). */
const MAX_ALIAS_COUNT = 100;

/** A nesting the parser itself could not follow (its recursion overflowed): same limit as plain-data.ts states. */
const TOO_DEEP = `nested too deeply to read (the limit is ${MAX_NESTING_DEPTH} levels); flatten the document`;

function parseJson(text: string): { ok: true; raw: unknown } | { ok: false; issues: ManifestIssue[] } {
  try {
    const raw = JSON.parse(text) as unknown;
    // JSON.parse keeps the last of two equal keys without a word; YAML refuses them, and so do we.
    const duplicates = duplicateJsonKeys(text);
    if (duplicates.length > 0) return { ok: false, issues: duplicates };
    return { ok: true, raw };
  } catch (error) {
    if (error instanceof RangeError) return { ok: false, issues: [{ path: 'manifest', message: `invalid JSON: ${TOO_DEEP}` }] };
    const message = error instanceof Error ? error.message : String(error);
    const position = /at position (\d+)/.exec(message);
    // Node's wording varies by version; keep the reason, supply our own location.
    const reason = message.replace(/\s*(in JSON )?at position \d+.*$/s, '').replace(/^JSON\.parse: /, '');
    const where = position ? lineAndColumn(text, Number(position[1])) : lineAndColumn(text, text.length);
    return {
      ok: false,
      issues: [{ path: 'manifest', message: `invalid JSON at line ${where.line}, column ${where.column}: ${reason}` }],
    };
  }
}

function parseYaml(text: string): { ok: true; raw: unknown } | { ok: false; issues: ManifestIssue[] } {
  let document: ReturnType<typeof parseDocument>;
  try {
    document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    if (error instanceof RangeError) return { ok: false, issues: [{ path: 'manifest', message: `YAML: ${TOO_DEEP}` }] };
    throw error;
  }
  if (document.errors.length > 0) {
    const issues = document.errors.map((error) => {
      const position = error.linePos?.[0];
      const where = position ? ` at line ${position.line}, column ${position.col}` : '';
      // prettyErrors appends " at line L, column C:" and a source excerpt; keep only the reason.
      let reason = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      if (error.code === 'DUPLICATE_KEY') {
        const key = /^\s*["']?([^"':\n]*)/.exec(text.slice(error.pos[0]))?.[1].trim();
        reason = `duplicate key${key ? ` ${JSON.stringify(key)}` : ''}; keys in a mapping must be unique, remove or rename one`;
      }
      if (error.code === 'MULTIPLE_DOCS') reason = 'more than one document (---); a manifest is a single document';
      if (/call stack/i.test(reason)) reason = TOO_DEEP;
      return { path: 'manifest', message: `YAML syntax error${where}: ${reason}` };
    });
    return { ok: false, issues };
  }
  try {
    return { ok: true, raw: document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown };
  } catch (error) {
    // toJS throws for an alias bomb (ReferenceError) and overflows on very deep documents.
    if (error instanceof RangeError) return { ok: false, issues: [{ path: 'manifest', message: `YAML: ${TOO_DEEP}` }] };
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      return {
        ok: false,
        issues: [{ path: 'manifest', message: `YAML aliases (*name) expand to too many nodes (more than ${MAX_ALIAS_COUNT} per alias, an "alias bomb"); write the values out instead of aliasing them` }],
      };
    }
    throw error;
  }
}

/** Editors on Windows may start a UTF-8 file with a byte order mark; it is not part of the document. */
const BYTE_ORDER_MARK = '\uFEFF';

/** JSON when the name ends in .json or the text starts with "{", YAML otherwise; then validateManifest. */
export function parseManifestText(text: string, sourceName = 'manifest'): ParseResult {
  if (text.startsWith(BYTE_ORDER_MARK)) text = text.slice(1);
  if (text.trim() === '') return { ok: false, issues: [{ path: 'manifest', message: EMPTY_DOCUMENT }] };
  const parsed = looksLikeJson(text, sourceName) ? parseJson(text) : parseYaml(text);
  if (!parsed.ok) return parsed;
  if (parsed.raw === null || parsed.raw === undefined) {
    return { ok: false, issues: [{ path: 'manifest', message: EMPTY_DOCUMENT }] };
  }
  const validated = validateManifest(parsed.raw);
  return validated.ok ? { ok: true, manifest: validated.manifest, raw: parsed.raw } : validated;
}
