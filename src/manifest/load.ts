/**
 * Reads a manifest file from disk. Node only (uses fs): never import this from workflow code;
 * the pure parts live in ./index.
 */
import { readFile } from 'node:fs/promises';
import type { Manifest } from './schema';
import { ManifestError, type ManifestIssue } from './errors';
import { parseManifestText, type ParseResult } from './parse';

export interface LoadedManifestFile {
  manifest: Manifest;
  /** The parsed document before defaults were filled in. */
  raw: unknown;
  /** Where it came from: the path as given (shown to people, e.g. "from examples/ecommerce.yaml"). */
  source: string;
  /** The file's text, as read. */
  text: string;
}

function readFailure(path: string, error: unknown): ManifestError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === 'ENOENT'
      ? 'file not found; check the path'
      : code === 'EISDIR'
        ? 'is a directory; pass the manifest file itself'
        : code === 'EACCES'
          ? 'permission denied'
          : error instanceof Error
            ? error.message
            : String(error);
  return new ManifestError([{ path: 'manifest', message: `cannot read ${JSON.stringify(path)}: ${reason}` }]);
}

/**
 * A file's bytes as text: UTF-8 (a leading byte order mark is dropped by the parser), or UTF-16
 * when it starts with a UTF-16 byte order mark (what some Windows editors save). Bytes that are
 * not UTF-8 are refused with the offset, rather than read as U+FFFD and reported as a baffling
 * YAML error (found by the fuzzer, FUZZ.md).
 */
export function decodeManifestBytes(bytes: Uint8Array): { ok: true; text: string } | { ok: false; issues: ManifestIssue[] } {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { ok: true, text: new TextDecoder('utf-16le').decode(bytes) };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { ok: true, text: new TextDecoder('utf-16be').decode(bytes) };
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch {
    const offset = firstInvalidUtf8(bytes);
    return {
      ok: false,
      issues: [{ path: 'manifest', message: `not UTF-8 text (invalid byte 0x${bytes[offset].toString(16).padStart(2, '0')} at offset ${offset}); save the manifest as UTF-8` }],
    };
  }
}

/** Offset of the first byte that makes the text invalid UTF-8 (decoding ever longer prefixes would be quadratic). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let low = 0;
  let high = bytes.length;
  // The longest valid prefix, found by bisection on "is bytes[0, n) valid, allowing a cut sequence at the end".
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      low = mid;
    } catch {
      high = mid - 1;
    }
  }
  return Math.min(low, bytes.length - 1);
}

/** What loadManifestFile does after reading: decode, parse, validate. Pure (no file access): the fuzzer calls it with bytes. */
export function parseManifestBytes(bytes: Uint8Array, sourceName: string): ParseResult & { text?: string } {
  const decoded = decodeManifestBytes(bytes);
  if (!decoded.ok) return decoded;
  return { ...parseManifestText(decoded.text, sourceName), text: decoded.text };
}

/** Reads, parses and validates; throws ManifestError listing every issue. */
export async function loadManifestFile(path: string): Promise<LoadedManifestFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw readFailure(path, error);
  }
  const result = parseManifestBytes(bytes, path);
  if (!result.ok) throw new ManifestError(result.issues);
  return { manifest: result.manifest, raw: result.raw, source: path, text: result.text as string };
}
