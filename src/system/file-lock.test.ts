import { execFile } from 'node:child_process';
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

  it('a holder that throws hands the lock on: the next one in this process runs, and the caller sees the error', async () => {
    const lock = path.join(dir, 'z.lock');
    const failing = withFileLock(lock, async () => {
      throw new Error('boom');
    });
    const next = withFileLock(lock, async () => 'next ran');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next ran');
  });

  it('serialises across processes: another process and this one, 20 increments each, lose none', async () => {
    const counter = path.join(dir, 'shared');
    const lock = path.join(dir, 'shared.lock');
    await fs.writeFile(counter, '0');
    const increment = () =>
      withFileLock(lock, async () => {
        const n = Number(await fs.readFile(counter, 'utf8'));
        await fs.writeFile(counter, String(n + 1));
      });
    const script = `const { withFileLock } = require(${JSON.stringify(path.join(__dirname, 'file-lock.ts'))});
      const fs = require('node:fs/promises');
      Promise.all(Array.from({ length: 20 }, () => withFileLock(${JSON.stringify(lock)}, async () => {
        const n = Number(await fs.readFile(${JSON.stringify(counter)}, 'utf8'));
        await fs.writeFile(${JSON.stringify(counter)}, String(n + 1));
      }))).catch((e) => { console.error(e); process.exit(1); });`;
    const tsx = path.join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');
    const other = () =>
      new Promise<void>((resolve, reject) => execFile(tsx, ['-e', script], (err) => (err ? reject(err) : resolve())));
    await Promise.all([other(), ...Array.from({ length: 20 }, increment)]);
    expect(await fs.readFile(counter, 'utf8')).toBe('40');
  });
});
