/**
 * The workflow bundle `npm run build` writes beside the compiled code (dist/workflow-bundle.js),
 * so a worker started from dist loads it instead of running webpack at start: bundling took
 * seconds of CPU and left about 150 MB of the worker's resident memory behind for its whole life
 * (BENCHMARKS.md, idle RSS). Code run from source (tsx, ts-jest) has no such file next to it and
 * bundles as before, so it never runs a bundle older than itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../metrics';

/**
 * dist/workflow-bundle.js when this module is dist/worker/prebuilt-bundle.js; and its twin for
 * workers with payload encryption on, bundled with the codec's failure converter (the converter is
 * part of the workflow code: without it the workflows' own failure messages would stay plain).
 */
export const PREBUILT_BUNDLE_FILE = path.join(__dirname, '..', 'workflow-bundle.js');
export const PREBUILT_ENCRYPTING_BUNDLE_FILE = path.join(__dirname, '..', 'workflow-bundle-encrypting.js');
const BUNDLE_FILES = [PREBUILT_BUNDLE_FILE, PREBUILT_ENCRYPTING_BUNDLE_FILE];
/** The failure converter the encrypting bundle holds (src/codec: encryptingDataConverter). */
export const ENCRYPTING_FAILURE_CONVERTER = require.resolve('../codec/failure-converter');

/**
 * The bundle built with this compiled code for a worker with this failure converter (none, or the
 * codec's), or undefined (running from source, not built, or a converter no bundle was built with).
 */
export function prebuiltWorkflowBundle(failureConverterPath?: string): { codePath: string } | undefined {
  if (!__filename.endsWith('.js')) return undefined;
  if (failureConverterPath === undefined) return currentBundle(PREBUILT_BUNDLE_FILE);
  return failureConverterPath === ENCRYPTING_FAILURE_CONVERTER ? currentBundle(PREBUILT_ENCRYPTING_BUNDLE_FILE) : undefined;
}

/** `file`, unless it is missing or older than any compiled file beside it (under its directory). */
export function currentBundle(file: string): { codePath: string } | undefined {
  const bundled = fs.statSync(file, { throwIfNoEntry: false });
  if (!bundled) return undefined;
  // Compiled again without bundling (tsc alone, tsc -w, an editor): the bundle would run older
  // workflow code beside newer activities. Bundle at start instead, as from source.
  // The bundles beside it do not count: npm run build writes them one after the other.
  const bundles = [file, ...BUNDLE_FILES.map((other) => path.join(path.dirname(file), path.basename(other)))];
  if (newestJsMtimeMs(path.dirname(file), bundles) > bundled.mtimeMs) return undefined;
  return { codePath: file };
}

/** The newest modification time of the .js files under dir, the bundles left out. */
export function newestJsMtimeMs(dir: string, except: string[]): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestJsMtimeMs(file, except));
    else if (entry.name.endsWith('.js') && !except.includes(file)) newest = Math.max(newest, fs.statSync(file).mtimeMs);
  }
  return newest;
}

/** Bundles the compiled workflows with every worker's interceptors (and a failure converter, if given) into `file`. */
export async function writeWorkflowBundle(file: string = PREBUILT_BUNDLE_FILE, failureConverterPath?: string): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    // What every Tugboat worker bundles (the metrics and tracing interceptors): a worker given a
    // bundle cannot add its own.
    workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
    ...(failureConverterPath ? { failureConverterPath } : {}),
    logger: new DefaultLogger('WARN'),
  });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, code);
  fs.renameSync(tmp, file);
}

/** What `npm run build` runs after tsc: both bundles, the plain one and the encrypting one. */
async function writeWorkflowBundles(): Promise<void> {
  await writeWorkflowBundle(PREBUILT_BUNDLE_FILE);
  await writeWorkflowBundle(PREBUILT_ENCRYPTING_BUNDLE_FILE, ENCRYPTING_FAILURE_CONVERTER);
}

if (require.main === module) {
  writeWorkflowBundles().catch((err: unknown) => {
    console.error(`could not bundle the workflows: ${(err as Error).message}`);
    process.exitCode = 1;
  });
}
