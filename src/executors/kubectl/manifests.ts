/**
 * Reading what `manifests:` names: one file, a directory of .yaml/.yml/.json files (in name order,
 * not recursive: as `kubectl apply -f <dir>` reads it), or a kustomization directory, which
 * `kubectl kustomize` renders first (its own images, patches and generators apply before Tugboat's).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { PermanentDeployError } from '../errors';
import type { ManifestText } from './render';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export type ManifestSource = { kind: 'file'; path: string } | { kind: 'directory'; path: string; files: string[] } | { kind: 'kustomization'; path: string };

/** What the path is; a message saying what is wrong when it is nothing usable. */
export async function manifestSource(location: string): Promise<ManifestSource> {
  const stat = await fs.stat(location).catch(() => undefined);
  if (!stat) throw new PermanentDeployError(`the manifests ${location} do not exist`);
  if (stat.isFile()) return { kind: 'file', path: location };
  const entries = await fs.readdir(location, { withFileTypes: true });
  if (entries.some((e) => e.isFile() && KUSTOMIZATION_FILES.includes(e.name))) return { kind: 'kustomization', path: location };
  const files = entries
    .filter((e) => e.isFile() && MANIFEST_EXTENSIONS.has(path.extname(e.name).toLowerCase()))
    .map((e) => e.name)
    .sort();
  if (files.length === 0) throw new PermanentDeployError(`${location} holds no .yaml, .yml or .json files and no kustomization`);
  return { kind: 'directory', path: location, files: files.map((f) => path.join(location, f)) };
}

/** The manifests' text; `kustomize` renders a kustomization directory (kubectl's built-in kustomize). */
export async function readManifests(location: string, kustomize: (dir: string) => Promise<string>): Promise<ManifestText[]> {
  const source = await manifestSource(location);
  switch (source.kind) {
    case 'kustomization':
      return [{ source: `kustomize ${source.path}`, text: await kustomize(source.path) }];
    case 'file':
      return [{ source: source.path, text: await fs.readFile(source.path, 'utf8') }];
    case 'directory':
      return Promise.all(source.files.map(async (file) => ({ source: file, text: await fs.readFile(file, 'utf8') })));
  }
}
