/**
 * Where a command's program and working directory are, and why one of them cannot be used. The
 * preflight and the spawn-failure message share these checks, so both say the same thing.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * A name with a slash is a path, relative to the manifest's directory (not to `cwd`: the manifest
 * is what the user reads when they write `./scripts/x.sh`); a bare name is left for the OS to find
 * on PATH.
 */
export function resolveProgram(program: string, baseDir: string): string {
  return isPath(program) ? path.resolve(baseDir, program) : program;
}

export function isPath(program: string): boolean {
  return program.includes('/');
}

/** Why the program cannot be started, or undefined when it looks startable. */
export async function programProblem(program: string, baseDir: string, searchPath: string | undefined): Promise<string | undefined> {
  if (isPath(program)) return fileProblem(resolveProgram(program, baseDir));
  for (const dir of (searchPath ?? '').split(path.delimiter).filter(Boolean)) {
    if ((await fileProblem(path.join(dir, program))) === undefined) return undefined;
  }
  return `${program} is not on the worker's PATH (${searchPath || 'empty'})`;
}

async function fileProblem(file: string): Promise<string | undefined> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch {
    return `${file} does not exist`;
  }
  if (!stat.isFile()) return `${file} is not a file`;
  try {
    await fs.access(file, fs.constants.X_OK);
  } catch {
    return `${file} is not executable`;
  }
  return undefined;
}

/** Why the working directory cannot be used (a missing cwd makes spawn fail with a misleading ENOENT). */
export async function cwdProblem(cwd: string): Promise<string | undefined> {
  try {
    if ((await fs.stat(cwd)).isDirectory()) return undefined;
    return `the working directory ${cwd} is not a directory`;
  } catch {
    return `the working directory ${cwd} does not exist`;
  }
}
