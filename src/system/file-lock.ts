/**
 * A cross-process lock on one file, for the file state store's read-modify-write records (provider
 * health): `open(…, 'wx')` creates the lock file only if absent, so exactly one holder wins. A
 * holder that died leaves its lock behind; one older than STALE_LOCK_MS is taken over (the
 * critical sections it guards last milliseconds).
 */
import { mkdir, open, rm, stat } from 'node:fs/promises';
import path from 'node:path';

export const STALE_LOCK_MS = 10_000;
const RETRY_MS = 5;
const GIVE_UP_MS = 30_000;

export async function withFileLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(path.dirname(lockFile), { recursive: true });
  const started = Date.now();
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lockFile).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > STALE_LOCK_MS) {
        await rm(lockFile, { force: true });
        continue;
      }
      if (Date.now() - started > GIVE_UP_MS) {
        throw new Error(`could not lock ${lockFile} within ${GIVE_UP_MS / 1000}s; if no Tugboat process is running, delete it`);
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockFile, { force: true });
  }
}
