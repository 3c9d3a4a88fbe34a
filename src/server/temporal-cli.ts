/**
 * Finds the `temporal` CLI (which contains the dev server), building it from source with Go as a last
 * resort: the prebuilt release downloads are not reachable everywhere, but the Go module proxy usually is.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { runCommand } from '../system/process';
import { temporalCacheDir } from '../system/paths';
import { TEMPORAL_CLI_VERSION } from './temporal-version';

export { TEMPORAL_CLI_VERSION };
const TEMPORAL_CLI_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';
const EXE_SUFFIX = process.platform === 'win32' ? '.exe' : '';
/** Longest we wait for another process's build before giving up on it. */
const OTHER_BUILD_TIMEOUT_MS = 20 * 60_000;
const LOCK_POLL_MS = 1_000;

export class TemporalCliNotFoundError extends Error {
  constructor(cacheDir: string) {
    super(
      [
        'The Temporal CLI (`temporal`, which runs the local dev server) was not found. Any of these works:',
        '  - set TEMPORAL_CLI_PATH to an existing `temporal` binary;',
        '  - install it per https://docs.temporal.io/cli (e.g. `brew install temporal`) so it is on PATH;',
        `  - install Go (https://go.dev/dl) and Tugboat builds v${TEMPORAL_CLI_VERSION} once into ${cacheDir};`,
        '  - or run a server with Docker: `docker compose -f docker-compose.temporal.yml up -d`',
        '    and point Tugboat at it with TEMPORAL_ADDRESS=localhost:7233.',
      ].join('\n'),
    );
    this.name = 'TemporalCliNotFoundError';
  }
}

export interface FindTemporalCliOptions {
  env?: NodeJS.ProcessEnv;
  /** Build from source with Go when nothing else is found (default true). */
  build?: boolean;
  log?: (msg: string) => void;
}

/** TEMPORAL_CLI_PATH, then PATH, then the cached build, then a fresh build with Go. */
export async function findTemporalCli(opts: FindTemporalCliOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);

  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (await isExecutableFile(explicit)) return explicit;
    throw new Error(`TEMPORAL_CLI_PATH is set to ${explicit}, which is not an executable file.`);
  }
  const onPath = await findOnPath('temporal', env);
  if (onPath) return onPath;

  const cacheDir = temporalCacheDir(env);
  const cached = path.join(cacheDir, 'temporal' + EXE_SUFFIX);
  if (await isExecutableFile(cached)) return cached;

  const go = opts.build === false ? undefined : await findOnPath('go', env);
  if (!go) throw new TemporalCliNotFoundError(cacheDir);
  return buildWithGo(go, cacheDir, cached, env, log);
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

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsConstants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * `go install` into a private temp dir, then rename into place: the rename is atomic, so an interrupted
 * build never leaves a half-written binary where the next run would pick it up.
 */
async function buildWithGo(go: string, cacheDir: string, target: string, env: NodeJS.ProcessEnv, log: (msg: string) => void) {
  await fs.mkdir(cacheDir, { recursive: true });
  const releaseLock = await acquireBuildLock(cacheDir, target, log);
  if (!releaseLock) return target; // another process built it while we waited

  const gobin = path.join(cacheDir, `.build-${process.pid}`);
  try {
    if (await isExecutableFile(target)) return target;
    log(
      `Building the Temporal CLI v${TEMPORAL_CLI_VERSION} from source with Go ` +
        `(one time, about 4 minutes on 2 cores; cached in ${cacheDir})…`,
    );
    const started = Date.now();
    await fs.rm(gobin, { recursive: true, force: true });
    await fs.mkdir(gobin);
    const result = await runCommand([go, 'install', `${TEMPORAL_CLI_PACKAGE}@v${TEMPORAL_CLI_VERSION}`], {
      // No CGO_ENABLED override: the CLI is pure Go, and Go turns cgo off by itself when there is no C compiler.
      env: { ...env, GOBIN: gobin },
    });
    if (result.code !== 0) {
      const tail = result.stderr.trim().split('\n').slice(-20).join('\n');
      throw new Error(`\`go install ${TEMPORAL_CLI_PACKAGE}@v${TEMPORAL_CLI_VERSION}\` failed (exit ${result.code ?? result.signal}):\n${tail}`);
    }
    await fs.rename(path.join(gobin, 'temporal' + EXE_SUFFIX), target);
    log(`Built the Temporal CLI in ${Math.round((Date.now() - started) / 1000)} s: ${target}`);
    return target;
  } finally {
    await fs.rm(gobin, { recursive: true, force: true });
    await releaseLock();
  }
}

/**
 * One build at a time per cache dir (e.g. two jest runs at once). Returns a release function, or
 * undefined if, while we waited, another process finished the build. A lock whose owner died is taken over.
 */
async function acquireBuildLock(cacheDir: string, target: string, log: (msg: string) => void) {
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
      log(`Waiting for process ${owner}, which is building the Temporal CLI into ${cacheDir}…`);
      announced = true;
    }
    if (Date.now() > deadline) {
      throw new Error(`Gave up waiting for process ${owner} to build the Temporal CLI (lock: ${lockFile}).`);
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
