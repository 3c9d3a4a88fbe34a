/**
 * A module's files: copied into a private working copy (so steps never share `.terraform` or
 * generated files, and the user's directory is never written to), hashed as they are copied, and
 * kept after a successful apply as a content-addressed snapshot that a rollback can re-apply.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { exists } from '../../system/exists';

/** Points the module at the state Tugboat keeps; `_override.tf` files merge over the module's own. */
export const BACKEND_OVERRIDE_FILE = '_tugboat_backend_override.tf';
/** The vars, secrets resolved: loaded automatically by tofu, removed right after use. */
export const TFVARS_FILE = 'tugboat.auto.tfvars.json';
/** A saved plan holds the variables' values too, so it is removed with the tfvars. */
export const PLAN_FILE = 'tugboat.tfplan';

/**
 * Never part of a module as applied: tofu's own working files, local state a person may have left
 * in the directory (it may hold secrets, and our backend is elsewhere), and our generated files.
 */
const SKIPPED = new Set([
  '.terraform',
  '.git',
  'terraform.tfstate',
  'terraform.tfstate.backup',
  'terraform.tfstate.d',
  BACKEND_OVERRIDE_FILE,
  TFVARS_FILE,
  PLAN_FILE,
]);

/**
 * Files of the module, relative, '/'-separated and sorted (so the hash does not depend on the
 * directory's order). Symlinked files are followed; symlinked directories are not (no cycles).
 */
export async function listModuleFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(path.join(dir, prefix), { withFileTypes: true })) {
    if (SKIPPED.has(entry.name)) continue;
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listModuleFiles(dir, rel)));
    else if (entry.isFile() || (entry.isSymbolicLink() && (await isFile(path.join(dir, rel))))) out.push(rel);
  }
  return out.sort();
}

export interface CopiedModule {
  /** sha256 of the files' names and contents. */
  hash: string;
  files: string[];
}

/** Copy the module's files into `dest` (new or empty); the hash names the module as applied. */
export async function copyModule(src: string, dest: string): Promise<CopiedModule> {
  const files = await listModuleFiles(src);
  await fs.mkdir(dest, { recursive: true });
  const hash = createHash('sha256');
  for (const rel of files) {
    const content = await fs.readFile(path.join(src, rel));
    hash.update(`${rel}\0${content.length}\0`).update(content);
    await fs.mkdir(path.dirname(path.join(dest, rel)), { recursive: true });
    // copyFile keeps the mode: a script the module runs stays executable.
    await fs.copyFile(path.join(src, rel), path.join(dest, rel));
  }
  return { hash: hash.digest('hex'), files };
}

/**
 * Keep the module as applied under `snapshotDir`, unless that content is already there. Written
 * beside it and renamed into place, so a crash never leaves half a snapshot under a valid name.
 */
export async function saveSnapshot(workDir: string, files: string[], snapshotDir: string): Promise<void> {
  await writeSnapshotDir(snapshotDir, async (tmp) => {
    for (const rel of files) {
      await fs.mkdir(path.dirname(path.join(tmp, rel)), { recursive: true });
      await fs.copyFile(path.join(workDir, rel), path.join(tmp, rel));
    }
  });
}

/**
 * Fills a new directory with `write` and renames it to `snapshotDir`, unless that exists already
 * (snapshots are named by their content: any complete one is as good as another).
 */
export async function writeSnapshotDir(snapshotDir: string, write: (tmp: string) => Promise<void>): Promise<void> {
  if (await exists(snapshotDir)) return;
  const tmp = `${snapshotDir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fs.mkdir(tmp, { recursive: true });
    await write(tmp);
    await fs.rename(tmp, snapshotDir).catch(async (err: NodeJS.ErrnoException) => {
      // Someone saved the same content first: theirs is as good as ours.
      if (!(await exists(snapshotDir))) throw err;
    });
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Whether the module names where its state lives (`backend "s3" {…}`, `cloud {…}`): then that
 * state is the module's business and Tugboat does not override it. Only the root module's own
 * files can hold one.
 */
export async function declaresBackend(dir: string): Promise<boolean> {
  for (const name of await fs.readdir(dir)) {
    if (name === BACKEND_OVERRIDE_FILE) continue;
    if (name.endsWith('.tf') && /^\s*(backend\s+"|cloud\s*\{)/m.test(await fs.readFile(path.join(dir, name), 'utf8'))) return true;
    if (name.endsWith('.tf.json') && /"(backend|cloud)"\s*:/.test(await fs.readFile(path.join(dir, name), 'utf8'))) return true;
  }
  return false;
}

/** The `.tf` / `.tf.json` files directly in dir (a module with none is not a module). */
export async function configFiles(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((name) => name.endsWith('.tf') || name.endsWith('.tf.json'));
}

async function isFile(file: string): Promise<boolean> {
  return fs.stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}
