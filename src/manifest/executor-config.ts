/**
 * Checks each service's `config` against its executor's schema, so `plan` catches a misspelt key
 * or a command written as a string before any worker sees it. Whether the executor exists on a
 * worker, and whether its binary, modules and scripts do, is the preflight's business.
 * Pure: workflow code may call it.
 */
import { CONFIG_REQUIRED, EXECUTOR_CONFIG_SCHEMAS } from '../executors/config-schemas';
import { formatPath, type ManifestIssue, type PathSegment } from './errors';
import type { Manifest } from './schema';
import { didYouMeanSuffix } from './suggest';
import { findSecretReferences, SECRET_REFERENCE_PATTERN } from '../secrets/reference';
import { describeValue, valueAt } from './zod-issues';
import { z } from 'zod';

export function checkExecutorConfigs(manifest: Manifest, raw: unknown): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  manifest.deployment.services.forEach((service, index) => {
    const schema = (EXECUTOR_CONFIG_SCHEMAS as Record<string, z.ZodType | undefined>)[service.executor];
    if (!schema) return;
    const base: PathSegment[] = ['deployment', 'services', index, 'config'];
    const named = valueAt(raw, ['deployment', 'services', index, 'executor']) !== undefined;
    if (service.simulate !== undefined && service.executor !== 'simulated') {
      issues.push({
        path: formatPath(['deployment', 'services', index, 'simulate']),
        message: `only the simulated executor reads \`simulate\`, and this service runs on ${service.executor}; remove the block, or set executor: simulated`,
      });
    }
    if (service.config === undefined) {
      if (CONFIG_REQUIRED.has(service.executor)) {
        const why = named
          ? `required by executor ${service.executor}`
          : `required: type ${service.type} runs on executor ${service.executor} unless the service says otherwise`;
        issues.push({
          path: formatPath(base),
          message: `${why}; ${exampleFor(service.executor)}${named ? '' : '. To keep it on the simulated cloud, add `executor: simulated` or a `simulate:` block'}`,
        });
      }
      return;
    }
    const parsed = schema.safeParse(service.config);
    if (parsed.success) {
      // Values the schema takes as anything (OpenTofu vars, an HTTP body) may hold references too.
      for (const { ref, path } of findSecretReferences(service.config)) {
        if (!SECRET_REFERENCE_PATTERN.test(ref.secret)) {
          issues.push({
            path: formatPath(['deployment', 'services', index]) + `.${path}`,
            message: `${JSON.stringify(ref.secret)} is not a secret reference; use "env:NAME" (the worker's environment) or "file:/path" (a file on the worker)`,
          });
        }
      }
      return;
    }
    for (const issue of parsed.error.issues) {
      const path = [...base, ...issue.path.map((s) => (typeof s === 'number' ? s : String(s)))];
      issues.push(...explain(issue, path, raw, service.executor, schema));
    }
  });
  return issues;
}

function explain(issue: z.core.$ZodIssue, path: PathSegment[], raw: unknown, executor: string, schema: z.ZodType): ManifestIssue[] {
  const at = formatPath(path);
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(schema, issue.path);
    return issue.keys.map((key) => ({
      path: at,
      message: `unknown key ${JSON.stringify(key)} for executor ${executor}${didYouMeanSuffix(key, known)}; known keys: ${known.join(', ')}`,
    }));
  }
  const value = valueAt(raw, path);
  if (value === undefined) return [{ path: at, message: `required by executor ${executor}; ${issue.message}` }];
  const own = /^(Invalid|Too (small|big)|Expected)/.test(issue.message) ? undefined : issue.message;
  return [{ path: at, message: `${describeValue(value)} is not valid here${own ? `; ${own}` : `: ${issue.message}`}` }];
}

/** The keys the object schema at `path` accepts (for "did you mean"). */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: unknown = schema;
  const peel = (s: unknown): unknown => {
    for (;;) {
      if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodPrefault) s = s.unwrap();
      else if (s instanceof z.ZodUnion) s = s.options.find((o) => peel(o) instanceof z.ZodObject) ?? s.options[0];
      else return s;
    }
  };
  current = peel(current);
  for (const segment of path) {
    if (current instanceof z.ZodObject) current = peel((current.shape as Record<string, unknown>)[String(segment)]);
    else if (current instanceof z.ZodArray) current = peel(current.element);
    else if (current instanceof z.ZodRecord) current = peel(current.valueType);
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function exampleFor(executor: string): string {
  switch (executor) {
    case 'shell':
      return 'e.g. config: { run: [./scripts/deploy.sh] }';
    case 'opentofu':
      return 'e.g. config: ./infra/network (the module directory) or config: { module: ./infra/network, vars: {...} }';
    case 'http':
      return 'e.g. config: { request: { method: POST, url: "https://api.example.com/deploys" } }';
    case 'kubectl':
      return 'e.g. config: ./k8s/backend (a directory of manifests) or config: { manifests: ./k8s/backend, namespace: shop }';
    case 'helm':
      return 'e.g. config: { chart: ./charts/web, namespace: shop, values: { replicas: 2 } }';
    default:
      return 'see the README section for this executor';
  }
}
