/** Reading a manifest for a command: parse, validate and plan, or one error listing every problem. */
import { ManifestError } from '../manifest/errors';
import { loadManifestFile } from '../manifest/load';
import type { Manifest } from '../manifest/schema';
import { planOrThrow, type Plan } from '../plan';
import { CliError, ExitCode } from './exit-codes';

export interface LoadedManifest {
  manifest: Manifest;
  plan: Plan;
  source: string;
}

export async function loadAndPlan(path: string): Promise<LoadedManifest> {
  try {
    const { manifest, source } = await loadManifestFile(path);
    return { manifest, plan: planOrThrow(manifest), source };
  } catch (err) {
    if (err instanceof ManifestError) {
      const count = err.issues.length;
      throw new CliError(`${path}: ${count} problem${count === 1 ? '' : 's'}\n${err.message}`, ExitCode.badInput);
    }
    throw err;
  }
}
