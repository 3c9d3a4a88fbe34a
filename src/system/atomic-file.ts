/**
 * Whole-file writes that a crash or a concurrent reader never sees half-done: write a temporary
 * file beside the target, fsync it, rename it over the target.
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

let counter = 0;

export interface WriteOptions {
  /**
   * false: skip the fsync. Readers still never see a half-written file, but a power loss may keep
   * the old content (or, rarely, an empty file): for records that are advisory and rewritten all
   * the time, where an fsync per write cost more than everything else the write does.
   */
  durable?: boolean;
}

export async function writeFileAtomically(file: string, text: string, opts: WriteOptions = {}): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${++counter}`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(text, 'utf8');
    if (opts.durable !== false) await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Pretty JSON with a trailing newline, written atomically. */
export function writeJsonAtomically(file: string, value: unknown, opts?: WriteOptions): Promise<void> {
  return writeFileAtomically(file, `${JSON.stringify(value, null, 2)}\n`, opts);
}

/** The parsed file, or undefined when it does not exist; a corrupt file is an error naming it. */
export async function readJsonFile<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); fix or move it aside`);
  }
}
