/**
 * Finds Chromium for the Web UI browser test, installing Debian's `chromium` package when it is
 * missing (CI runs on a clean machine with nothing but `npm ci && npm test`). playwright-core drives
 * it; it downloads no browser of its own.
 *
 * Order, as for the other tools (src/tools/find-tool.ts): TUGBOAT_CHROMIUM_PATH, then PATH, then
 * `apt-get install` when running as root. Run on its own: `npx tsx scripts/ensure-chromium.ts`.
 */
import fs from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { runCommand, type CommandResult } from '../src/system/process';
import { findOnPath, ToolNotFoundError } from '../src/tools/find-tool';

export const CHROMIUM_ENV_VAR = 'TUGBOAT_CHROMIUM_PATH';
/** Debian names the binary `chromium`; Ubuntu and others `chromium-browser`. */
const PATH_NAMES = ['chromium', 'chromium-browser'];
/**
 * Without recommends: chromium itself recommends only chromium-sandbox (playwright runs it with
 * --no-sandbox as root anyway), but its libraries' recommends bring ~100 more packages. DejaVu so a
 * screenshot shows text on a machine with no fonts at all.
 */
const APT_PACKAGES = ['chromium', 'fonts-dejavu-core'];
/** Another apt-get (a second jest run, the machine's own updates) may hold dpkg's lock for a while. */
const DPKG_LOCK_TIMEOUT_S = 600;

export class ChromiumNotFoundError extends ToolNotFoundError {
  constructor(reason: string) {
    super(`Chromium was not found, and ${reason}.`, [
      `set ${CHROMIUM_ENV_VAR} to an existing Chromium or Chrome binary;`,
      'install Chromium so `chromium` is on PATH (Debian: `apt-get install chromium`; Ubuntu: `chromium-browser`);',
      'or run the tests as root on Debian, and they install it with apt-get.',
    ]);
  }
}

export interface EnsureChromiumOptions {
  env?: NodeJS.ProcessEnv;
  /** Install with apt-get when not found (default true). */
  install?: boolean;
  log?: (msg: string) => void;
}

/** The Chromium binary to hand playwright-core's `executablePath`. */
export async function ensureChromium(opts: EnsureChromiumOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);

  const explicit = env[CHROMIUM_ENV_VAR];
  if (explicit) {
    if (await isExecutable(explicit)) return explicit;
    throw new Error(`${CHROMIUM_ENV_VAR} is set to ${explicit}, which is not an executable file.`);
  }
  const found = await onPath(env);
  if (found) return found;

  if (opts.install === false) throw new ChromiumNotFoundError('installing it was not asked for');
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    throw new ChromiumNotFoundError('only root on Debian can install it here (this process is not root)');
  }
  const aptGet = await findOnPath('apt-get', env);
  if (!aptGet) throw new ChromiumNotFoundError('there is no apt-get to install it with');

  log(`Installing Chromium with apt-get (one time, about a minute): ${APT_PACKAGES.join(' ')}…`);
  const started = Date.now();
  await aptInstall(aptGet, env);
  const installed = await onPath(env);
  if (!installed) {
    throw new ChromiumNotFoundError(`apt-get installed ${APT_PACKAGES.join(' ')} but no ${PATH_NAMES.join(' or ')} is on PATH`);
  }
  log(`Installed Chromium in ${Math.round((Date.now() - started) / 1000)} s: ${installed}`);
  return installed;
}

async function aptInstall(aptGet: string, env: NodeJS.ProcessEnv): Promise<void> {
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  const lock = ['-o', `DPkg::Lock::Timeout=${DPKG_LOCK_TIMEOUT_S}`];
  const install = () =>
    runCommand([aptGet, 'install', '-y', '--no-install-recommends', ...lock, ...APT_PACKAGES], { env: aptEnv });
  let result = await install();
  // A fresh machine has no package lists yet (or stale ones naming versions the mirror dropped).
  if (result.code !== 0) {
    const update = await runCommand([aptGet, 'update', ...lock], { env: aptEnv });
    if (update.code !== 0) throw aptFailed('update', update);
    result = await install();
  }
  if (result.code !== 0) throw aptFailed(`install ${APT_PACKAGES.join(' ')}`, result);
}

/** apt-get's own reason is on its `E:` lines. */
function aptFailed(step: string, result: CommandResult): Error {
  const lines = result.stderr.trim().split('\n');
  const errors = lines.filter((line) => line.startsWith('E:'));
  const reason = (errors.length > 0 ? errors : lines.slice(-3)).join(' ').trim() || 'no output';
  return new ChromiumNotFoundError(`\`apt-get ${step}\` failed (exit ${result.code ?? result.signal}): ${reason}`);
}

async function onPath(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const name of PATH_NAMES) {
    const found = await findOnPath(name, env);
    if (found) return found;
  }
  return undefined;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsConstants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

if (require.main === module) {
  ensureChromium({ log: console.log }).then(
    (binary) => console.log(`chromium: ${binary}`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  );
}
