/**
 * A checked task → the deployment it asks for: the manifest (inline YAML/JSON text, an object, or
 * a file the ingress reads), validated and planned by the same code as `tugboat plan` and `deploy`,
 * or every problem with the field it is in. Nothing is started here.
 */
import path from 'node:path';
import type { IngressTask } from '../api/ingress';
import { ManifestError, type ManifestIssue } from '../manifest/errors';
import { loadManifestFile } from '../manifest/load';
import { parseManifestText } from '../manifest/parse';
import type { Manifest } from '../manifest/schema';
import { validateManifest } from '../manifest/validate';
import { planDeployment, type Plan } from '../plan';

export type PreparedTask =
  | { ok: true; manifest: Manifest; plan: Plan; source?: string; baseDir?: string }
  | { ok: false; problems: string[] };

export async function prepareTask(task: IngressTask): Promise<PreparedTask> {
  if (task.manifest_path !== undefined) {
    const file = path.resolve(task.manifest_path);
    const field = `task.manifest_path (${task.manifest_path})`;
    try {
      const { manifest } = await loadManifestFile(file);
      // Config paths (modules, scripts) are relative to the manifest file, as for `tugboat deploy`.
      return planned(manifest, field, { source: file, baseDir: path.dirname(file) });
    } catch (err) {
      if (err instanceof ManifestError) return problemsIn(field, err.issues);
      throw err;
    }
  }
  const field = 'task.manifest';
  const validated = typeof task.manifest === 'string' ? parseManifestText(task.manifest, `task ${task.id}`) : validateManifest(task.manifest);
  return validated.ok ? planned(validated.manifest, field, {}) : problemsIn(field, validated.issues);
}

function planned(manifest: Manifest, field: string, where: { source?: string; baseDir?: string }): PreparedTask {
  const result = planDeployment(manifest);
  return result.ok ? { ok: true, manifest, plan: result.plan, ...where } : problemsIn(field, result.issues);
}

function problemsIn(field: string, issues: readonly ManifestIssue[]): PreparedTask {
  return { ok: false, problems: issues.map((issue) => `${field}: ${issue.path}: ${issue.message}`) };
}
