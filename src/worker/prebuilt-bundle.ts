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

/** dist/workflow-bundle.js when this module is dist/worker/prebuilt-bundle.js. */
export const PREBUILT_BUNDLE_FILE = path.join(__dirname, '..', 'workflow-bundle.js');

/** The bundle built with this compiled code, or undefined (running from source, or not built). */
export function prebuiltWorkflowBundle(): { codePath: string } | undefined {
  return __filename.endsWith('.js') ? currentBundle(PREBUILT_BUNDLE_FILE) : undefined;
}

/** `file`, unless it is missing or older than any compiled file beside it (under its directory). */
export function currentBundle(file: string): { codePath: string } | undefined {
  const bundled = fs.statSync(file, { throwIfNoEntry: false });
  if (!bundled) return undefined;
  // Compiled again without bundling (tsc alone, tsc -w, an editor): the bundle would run older
  // workflow code beside newer activities. Bundle at start instead, as from source.
  if (newestJsMtimeMs(path.dirname(file), file) > bundled.mtimeMs) return undefined;
  return { codePath: file };
}

/** The newest modification time of the .js files under dir, the bundle itself left out. */
export function newestJsMtimeMs(dir: string, except: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestJsMtimeMs(file, except));
    else if (entry.name.endsWith('.js') && file !== except) newest = Math.max(newest, fs.statSync(file).mtimeMs);
  }
  return newest;
}

/** What `npm run build` runs after tsc: bundles the compiled workflows with every worker's interceptors. */
export async function writeWorkflowBundle(file: string = PREBUILT_BUNDLE_FILE): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    // What every Tugboat worker bundles (the metrics and tracing interceptors): a worker given a
    // bundle cannot add its own.
    workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
    logger: new DefaultLogger('WARN'),
  });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, code);
  fs.renameSync(tmp, file);
}

if (require.main === module) {
  writeWorkflowBundle().catch((err: unknown) => {
    console.error(`could not bundle the workflows: ${(err as Error).message}`);
    process.exitCode = 1;
  });
}
