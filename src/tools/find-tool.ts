/**
 * Finds a local tool (the Temporal CLI, OpenTofu, …) or builds it from source with Go into Tugboat's
 * cache. One module for every tool, so the search order, the build lock and the atomic install are
 * written (and fixed) once; each tool only says where to look and how to build.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { runCommand, type RunCommandOptions } from '../system/process';

const EXE_SUFFIX = process.platform === 'win32' ? '.exe' : '';
/**
 * Longest we wait for another (living) process's build before giving up on it. Generous: on a
 * fresh cache the Kubernetes build, run beside four others on two busy cores, was measured past
 * 20 minutes, and giving up then failed a CI run whose build would have finished (CI allows 90).
 */
const OTHER_BUILD_TIMEOUT_MS = 60 * 60_000;
const LOCK_POLL_MS = 1_000;

export interface BuildContext {
  /** The `go` binary found on PATH. */
  go: string;
  /** An empty private directory inside the cache, for the build's own files. */
  tmpDir: string;
  /** Where the build must leave the binary: `binaryName` (plus '.exe' on Windows) in tmpDir. */
  output: string;
  env: NodeJS.ProcessEnv;
  log: (msg: string) => void;
}

export interface ToolSpec {
  /** How messages name the tool, e.g. 'the Temporal CLI'. */
  displayName: string;
  /** The version the build produces (shown in messages; the cache dir should carry it too). */
  version: string;
  /** An explicit path to the binary; wins over everything else. */
  envVar: string;
  /** Names to look for on PATH, best first (e.g. ['tofu', 'terraform']). */
  pathNames: string[];
  /** Where a build is kept; versioned, so an upgrade never reuses an old build. */
  cacheDir(env: NodeJS.ProcessEnv): string;
  /** The built binary's file name in the cache (without '.exe'). */
  binaryName: string;
  /**
   * Other binaries the same build leaves beside `output` (Kubernetes' control plane is one Go build):
   * installed before `binaryName`, so a cache holding that one holds them all.
   */
  companions?: string[];
  /** Rough build time on two cores, so whoever waits knows what to expect. */
  buildMinutes: number;
  build(ctx: BuildContext): Promise<void>;
  /** The error when nothing is found and nothing can be built: it should name every way to get the tool. */
  notFound(cacheDir: string): Error;
}

export interface FindToolOptions {
  env?: NodeJS.ProcessEnv;
  /** Build from source with Go when nothing else is found (default true). */
  build?: boolean;
  log?: (msg: string) => void;
}

/** Base of each tool's not-found error, so callers can catch them all; lists the ways out one per line. */
export class ToolNotFoundError extends Error {
  constructor(summary: string, ways: string[]) {
    super([`${summary} Any of these works:`, ...ways.map((way) => `  - ${way.replace(/\n/g, '\n    ')}`)].join('\n'));
    this.name = new.target.name;
  }
}

/** The env var, then PATH, then the cached build, then a fresh build with Go. */
export async function findTool(spec: ToolSpec, opts: FindToolOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);

  const explicit = env[spec.envVar];
  if (explicit) {
    if (await isExecutableFile(explicit)) return explicit;
    throw new Error(`${spec.envVar} is set to ${explicit}, which is not an executable file.`);
  }
  for (const name of spec.pathNames) {
    const onPath = await findOnPath(name, env);
    if (onPath) return onPath;
  }

  const cacheDir = spec.cacheDir(env);
  const cached = path.join(cacheDir, spec.binaryName + EXE_SUFFIX);
  if (await isExecutableFile(cached)) return cached;

  const go = opts.build === false ? undefined : await findOnPath('go', env);
  if (!go) throw spec.notFound(cacheDir);
  return buildIntoCache(spec, { go, cacheDir, target: cached, env, log });
}

/**
 * A lookup made once, lazily, and kept; a failure is forgotten, so the next call looks again (the
 * tool may have been installed since). Executors find their binaries this way, with `build: false`:
 * a step must never start a build of several minutes.
 */
export function onceFound(find: () => Promise<string>): () => Promise<string> {
  let found: Promise<string> | undefined;
  return () => {
    found ??= find().catch((err: unknown) => {
      found = undefined;
      throw err;
    });
    return found;
  };
}

/** Walk PATH ourselves rather than asking a shell, which may not exist or may differ. */
export async function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue; // an empty entry would mean the working directory: not something to trust
    const candidate = path.join(dir, name + EXE_SUFFIX);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Run one build step; on failure, throw with the command and the end of its stderr (where Go puts the cause). */
export async function runBuildStep(argv: string[], opts: RunCommandOptions = {}): Promise<void> {
  const result = await runCommand(argv, opts);
  if (result.code === 0) return;
  const shown = [path.basename(argv[0]), ...argv.slice(1)].join(' ');
  const tail = result.stderr.trim().split('\n').slice(-20).join('\n');
  throw new Error(`\`${shown}\` failed (exit ${result.code ?? result.signal}):\n${tail}`);
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsConstants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

interface BuildTarget {
  go: string;
  cacheDir: string;
  target: string;
  env: NodeJS.ProcessEnv;
  log: (msg: string) => void;
}

/**
 * Build into a private temp dir inside the cache, then rename into place: the rename is atomic (same
 * file system), so an interrupted build never leaves a half-written binary where the next run would pick it up.
 */
async function buildIntoCache(spec: ToolSpec, { go, cacheDir, target, env, log }: BuildTarget): Promise<string> {
  await fs.mkdir(cacheDir, { recursive: true });
  const releaseLock = await acquireBuildLock(spec, cacheDir, target, log);
  if (!releaseLock) return target; // another process built it while we waited

  const tmpDir = path.join(cacheDir, `.build-${process.pid}`);
  try {
    if (await isExecutableFile(target)) return target;
    log(
      `Building ${spec.displayName} v${spec.version} from source with Go ` +
        `(one time, about ${spec.buildMinutes} minutes on 2 cores; cached in ${cacheDir})…`,
    );
    const started = Date.now();
    await fs.rm(tmpDir, { recursive: true, force: true });
    await fs.mkdir(tmpDir);
    const output = path.join(tmpDir, spec.binaryName + EXE_SUFFIX);
    await spec.build({ go, tmpDir, output, env, log });
    for (const companion of spec.companions ?? []) {
      await fs.rename(path.join(tmpDir, companion + EXE_SUFFIX), path.join(cacheDir, companion + EXE_SUFFIX));
    }
    await fs.rename(output, target);
    log(`Built ${spec.displayName} in ${Math.round((Date.now() - started) / 1000)} s: ${target}`);
    return target;
  } finally {
    await fs.rm(tmpDir, { recursive: true, force: true });
    await releaseLock();
  }
}

/**
 * One build at a time per cache dir (e.g. two jest runs at once). Returns a release function, or
 * undefined if, while we waited, another process finished the build. A lock whose owner died is taken
 * over. Two processes taking over the same stale lock at once may both build: wasted minutes, but still
 * correct, since each builds in its own temp dir and installs with an atomic rename.
 */
async function acquireBuildLock(spec: ToolSpec, cacheDir: string, target: string, log: (msg: string) => void) {
  const lockFile = path.join(cacheDir, '.build.lock');
  const deadline = Date.now() + OTHER_BUILD_TIMEOUT_MS;
  let announced = false;
  for (;;) {
    if (await tryCreateWithContent(lockFile, String(process.pid))) return () => fs.rm(lockFile, { force: true });
    const owner = Number((await fs.readFile(lockFile, 'utf8').catch(() => '')).trim());
    if (!isAlive(owner)) {
      await fs.rm(lockFile, { force: true });
      continue;
    }
    if (!announced) {
      log(`Waiting for process ${owner}, which is building ${spec.displayName} into ${cacheDir}…`);
      announced = true;
    }
    if (Date.now() > deadline) {
      throw new Error(`Gave up waiting for process ${owner} to build ${spec.displayName} (lock: ${lockFile}).`);
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    if (await isExecutableFile(target)) return undefined;
  }
}

/** Hard-link a fully written temp file into place, so nobody ever sees the lock without its PID. */
async function tryCreateWithContent(file: string, content: string): Promise<boolean> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await fs.writeFile(temp, content);
  try {
    await fs.link(temp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await fs.rm(temp, { force: true });
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0); // signal 0: existence check only
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
