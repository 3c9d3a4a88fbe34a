/**
 * Whole-file writes that a crash or a concurrent reader never sees half-done: write a temporary
 * file beside the target, fsync it, rename it over the target.
 */
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

let counter = 0;

export async function writeFileAtomically(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${++counter}`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
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
