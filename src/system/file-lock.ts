/**
 * A cross-process lock on one file, for the file state store's read-modify-write records (provider
 * health): `open(…, 'wx')` creates the lock file only if absent, so exactly one holder wins. Each
 * holder writes a token of its own into it. A holder that died leaves its lock behind; one older
 * than STALE_LOCK_MS is taken over (the critical sections it guards last milliseconds) by renaming
 * it aside first — a rename succeeds for one waiter only, so two waiters never both remove it, and
 * never remove a lock someone just took. Releasing removes the lock only while it holds our token.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

export const STALE_LOCK_MS = 10_000;
const RETRY_MS = 5;
const GIVE_UP_MS = 30_000;

/**
 * Holders in this process, queued per lock file: a waiter here waits on the one before it instead
 * of polling the file every RETRY_MS. With a hundred steps of one provider in flight on one worker,
 * polling turned each update into thousands of failed opens and made the lock's hand-over as slow
 * as the poll interval; queued, only one holder per process ever contends for the file.
 */
const localQueues = new Map<string, Promise<unknown>>();

export async function withFileLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  const before = localQueues.get(lockFile) ?? Promise.resolve();
  const mine = before.then(
    () => withCrossProcessLock(lockFile, fn),
    () => withCrossProcessLock(lockFile, fn),
  );
  // The queue's tail never rejects (the next holder runs whatever this one's outcome), and the
  // entry goes once the last holder is done, so the map holds only lock files in use.
  const tail = mine.then(
    () => undefined,
    () => undefined,
  );
  localQueues.set(lockFile, tail);
  void tail.then(() => {
    if (localQueues.get(lockFile) === tail) localQueues.delete(lockFile);
  });
  return mine;
}

async function withCrossProcessLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(path.dirname(lockFile), { recursive: true });
  const token = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const started = Date.now();
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(`${token}\n`);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lockFile).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > STALE_LOCK_MS) {
        const aside = `${lockFile}.stale-${token}`;
        // ENOENT: another waiter took it over first; try again from the top.
        if (await rename(lockFile, aside).then(() => true, () => false)) await rm(aside, { force: true });
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
    // Ours unless we overran STALE_LOCK_MS and someone took it over: then it is theirs to remove.
    const holder = await readFile(lockFile, 'utf8').catch(() => '');
    if (holder.trim() === token) await rm(lockFile, { force: true });
  }
}
