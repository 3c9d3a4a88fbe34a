/**
 * Tests of real executors deploy from a manifest file, as a user does: its directory is where
 * `config` paths (modules, scripts, file: secrets) start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startDeployment } from '../../src/client/deployments';
import { loadManifestFile } from '../../src/manifest/load';
import type { World } from './world';

/** Writes <dir>/release.yaml for deployment `name` (environment test) with the given services (YAML list, 4-space indent). */
export function writeRelease(dir: string, name: string, servicesYaml: string): string {
  const file = path.join(dir, 'release.yaml');
  fs.writeFileSync(file, `deployment:\n  name: ${name}\n  environment: test\n  services:\n${servicesYaml}`);
  return file;
}

/** Load the file, then start it on the world's task queue with the file as its source. */
export async function deployFile(world: World, source: string) {
  const { manifest } = await loadManifestFile(source);
  return startDeployment(world.client, manifest, { taskQueue: world.taskQueue, source });
}
