/**
 * Reads a manifest file from disk. Node only (uses fs): never import this from workflow code;
 * the pure parts live in ./index.
 */
import { readFile } from 'node:fs/promises';
import type { Manifest } from './schema';
import { ManifestError } from './errors';
import { parseManifestText } from './parse';

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

/** Reads, parses and validates; throws ManifestError listing every issue. */
export async function loadManifestFile(path: string): Promise<LoadedManifestFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw readFailure(path, error);
  }
  const result = parseManifestText(text, path);
  if (!result.ok) throw new ManifestError(result.issues);
  return { manifest: result.manifest, raw: result.raw, source: path, text };
}
