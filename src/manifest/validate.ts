/**
 * Validation of a parsed manifest document: the schema plus the checks a schema cannot express
 * (unique names, dependencies that exist). Reports every problem at once, never just the first.
 * Pure: workflow code may call it.
 */
import { manifestSchema, type Manifest } from './schema';
import { formatPath, ManifestError, type ManifestIssue } from './errors';
import { checkRunnable } from './runnable';
import { checkExecutorConfigs } from './executor-config';
import { didYouMean } from './suggest';
import { isRecord } from './references';
import { explainZodIssue, valueAt } from './zod-issues';
import { plainDataIssues } from './plain-data';

export type ValidationResult = { ok: true; manifest: Manifest } | { ok: false; issues: ManifestIssue[] };

function listNames(names: readonly string[], limit = 8): string {
  return names.length <= limit ? names.join(', ') : `${names.slice(0, limit).join(', ')}, …`;
}

/**
 * Duplicate names, self dependencies, repeated dependencies and dependencies on undeclared services.
 * Takes the raw `deployment.services` value so it runs even when the schema failed elsewhere;
 * entries of the wrong shape are skipped (the schema reports those).
 */
export function checkServiceGraph(services: unknown): ManifestIssue[] {
  if (!Array.isArray(services)) return [];
  const issues: ManifestIssue[] = [];
  const at = (...segments: (string | number)[]) => formatPath(['deployment', 'services', ...segments]);

  const firstIndexOf = new Map<string, number>();
  services.forEach((service, index) => {
    if (!isRecord(service) || typeof service.name !== 'string') return;
    const first = firstIndexOf.get(service.name);
    if (first === undefined) firstIndexOf.set(service.name, index);
    else {
      issues.push({
        path: at(index, 'name'),
        message: `duplicate service ${JSON.stringify(service.name)} (also ${at(first)}); service names must be unique`,
      });
    }
  });
  const names = [...firstIndexOf.keys()];

  services.forEach((service, index) => {
    if (!isRecord(service) || !Array.isArray(service.dependencies)) return;
    const own = typeof service.name === 'string' ? service.name : undefined;
    const seenAt = new Map<string, number>();
    service.dependencies.forEach((dependency, position) => {
      if (typeof dependency !== 'string') return;
      const path = at(index, 'dependencies', position);
      const earlier = seenAt.get(dependency);
      if (dependency === own) {
        issues.push({ path, message: `${JSON.stringify(own)} cannot depend on itself; remove this entry` });
      } else if (earlier !== undefined) {
        issues.push({
          path,
          message: `${JSON.stringify(dependency)} is listed twice (also dependencies[${earlier}]); remove the duplicate`,
        });
      } else if (!firstIndexOf.has(dependency)) {
        const others = names.filter((name) => name !== own);
        const suggestion = didYouMean(dependency, others);
        const hint = suggestion
          ? `did you mean ${JSON.stringify(suggestion)}?`
          : others.length > 0
            ? `declare it under deployment.services or use one of ${listNames(others)}`
            : 'declare it under deployment.services';
        issues.push({ path, message: `unknown service ${JSON.stringify(dependency)}; ${hint}` });
      }
      if (earlier === undefined) seenAt.set(dependency, position);
    });
  });
  return issues;
}

export interface ValidateOptions {
  /**
   * false: decide as Tugboat did before these rules existed, for replaying runs recorded then
   * (re-deciding them with newer rules would diverge): skip the rules that keep a manifest
   * runnable (runnable.ts) and the executor config shapes, and a service that names no executor
   * runs on the simulated cloud, the only executor there was.
   */
  runnable?: boolean;
}

/** Schema and semantic checks together; every issue found, in document-ish order. */
export function validateManifest(raw: unknown, opts: ValidateOptions = {}): ValidationResult {
  const legacy = opts.runnable === false;
  // First: what is not plain JSON data (or nested past the limit) would be changed on its way to the worker, or overflow the checks below.
  const notPlain = legacy ? [] : plainDataIssues(raw);
  if (notPlain.length > 0) return { ok: false, issues: notPlain };
  const parsed = manifestSchema.safeParse(legacy ? withLegacyExecutors(raw) : raw);
  const issues = parsed.success ? [] : parsed.error.issues.flatMap((issue) => explainZodIssue(issue, raw));
  issues.push(...checkServiceGraph(valueAt(raw, ['deployment', 'services'])));
  if (!parsed.success || issues.length > 0) return { ok: false, issues };
  const configIssues = legacy ? [] : checkExecutorConfigs(parsed.data, raw);
  if (configIssues.length > 0) return { ok: false, issues: configIssues };
  const unrunnable = opts.runnable === false ? [] : checkRunnable(parsed.data, raw);
  if (unrunnable.length > 0) return { ok: false, issues: unrunnable };
  return { ok: true, manifest: parsed.data };
}

/** Services that name no executor get `simulated`, the default before real executors existed. */
function withLegacyExecutors(raw: unknown): unknown {
  const services = valueAt(raw, ['deployment', 'services']);
  if (!Array.isArray(services) || !isRecord(raw) || !isRecord(raw.deployment)) return raw;
  const defaulted = services.map((s) => (isRecord(s) && s.executor === undefined ? { ...s, executor: 'simulated' } : s));
  return { ...raw, deployment: { ...raw.deployment, services: defaulted } };
}

export function validateManifestOrThrow(raw: unknown): Manifest {
  const result = validateManifest(raw);
  if (!result.ok) throw new ManifestError(result.issues);
  return result.manifest;
}
