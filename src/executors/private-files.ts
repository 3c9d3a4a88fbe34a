/**
 * Where executors keep what may hold a secret (states, values files, rendered Secrets): directories
 * only the worker's user can enter, files only it can read, removed as soon as the tool has read them.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** Made if missing, and chmod'ed as well: an older worker may have made it with the umask's mode. */
export async function privateDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.chmod(dir, 0o700);
}

/**
 * Runs `use` with the path of a file holding `text`, in a fresh private directory under `parent`
 * (named `<prefix>…`), and removes that directory afterwards, whatever happened.
 */
export async function withPrivateFile<T>(parent: string, prefix: string, name: string, text: string, use: (file: string) => Promise<T>): Promise<T> {
  await fs.mkdir(parent, { recursive: true, mode: 0o700 });
  const dir = await fs.mkdtemp(path.join(parent, prefix));
  try {
    await fs.chmod(dir, 0o700);
    const file = path.join(dir, name);
    await fs.writeFile(file, text, { mode: 0o600 });
    return await use(file);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
