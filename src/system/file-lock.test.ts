import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { STALE_LOCK_MS, withFileLock } from './file-lock';

describe('withFileLock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tugboat-lock-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('serialises read-modify-write: 40 concurrent increments lose none', async () => {
    const counter = path.join(dir, 'n');
    await fs.writeFile(counter, '0');
    await Promise.all(
      Array.from({ length: 40 }, () =>
        withFileLock(path.join(dir, 'n.lock'), async () => {
          const n = Number(await fs.readFile(counter, 'utf8'));
          await fs.writeFile(counter, String(n + 1));
        }),
      ),
    );
    expect(await fs.readFile(counter, 'utf8')).toBe('40');
    await expect(fs.access(path.join(dir, 'n.lock'))).rejects.toThrow();
  });

  it('takes over a lock its dead holder left behind, once it is stale', async () => {
    const lock = path.join(dir, 'x.lock');
    await fs.writeFile(lock, 'dead-holder\n');
    const old = new Date(Date.now() - STALE_LOCK_MS - 1_000);
    await fs.utimes(lock, old, old);
    await expect(withFileLock(lock, async () => 'ran')).resolves.toBe('ran');
    expect((await fs.readdir(dir)).filter((f) => f.includes('stale'))).toEqual([]);
  });

  it('does not remove a lock that another holder took over while it ran', async () => {
    const lock = path.join(dir, 'y.lock');
    await withFileLock(lock, async () => {
      await fs.writeFile(lock, 'someone-else\n');
    });
    expect(await fs.readFile(lock, 'utf8')).toBe('someone-else\n');
  });
});
