/**
 * Manifest text (YAML or JSON) → validated manifest. Pure (no file access): the CLI reads the file,
 * the server receives text over HTTP, tests pass strings.
 */
import { parseDocument } from 'yaml';
import type { Manifest } from './schema';
import type { ManifestIssue } from './errors';
import { validateManifest } from './validate';

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

function parseJson(text: string): { ok: true; raw: unknown } | { ok: false; issues: ManifestIssue[] } {
  try {
    return { ok: true, raw: JSON.parse(text) as unknown };
  } catch (error) {
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
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
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
      return { path: 'manifest', message: `YAML syntax error${where}: ${reason}` };
    });
    return { ok: false, issues };
  }
  return { ok: true, raw: document.toJS() as unknown };
}

/** JSON when the name ends in .json or the text starts with "{", YAML otherwise; then validateManifest. */
export function parseManifestText(text: string, sourceName = 'manifest'): ParseResult {
  if (text.trim() === '') return { ok: false, issues: [{ path: 'manifest', message: EMPTY_DOCUMENT }] };
  const parsed = looksLikeJson(text, sourceName) ? parseJson(text) : parseYaml(text);
  if (!parsed.ok) return parsed;
  if (parsed.raw === null || parsed.raw === undefined) {
    return { ok: false, issues: [{ path: 'manifest', message: EMPTY_DOCUMENT }] };
  }
  const validated = validateManifest(parsed.raw);
  return validated.ok ? { ok: true, manifest: validated.manifest, raw: parsed.raw } : validated;
}
