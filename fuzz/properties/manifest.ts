/**
 * Property: a manifest file's bytes, through what the CLI runs (src/cli/manifest-input.ts
 * loadAndPlan: loadManifestFile's decode, parse and validate, then planOrThrow), end in a plan or
 * in the project's error listing (ManifestError, every issue with a path and a message), nothing
 * else; and an accepted manifest can run: every service planned once, dependencies first, configs
 * valid for their executors, plain JSON data (what reaches the worker is what was validated), and
 * a start input within the payload limits startDeployment checks.
 */
import { deploymentStartOptions } from '../../src/api/deployment-start';
import { newDeploymentId } from '../../src/client/deployment-id';
import { checkPayloadSizes } from '../../src/client/payload-size';
import { CONFIG_REQUIRED, EXECUTOR_CONFIG_SCHEMAS } from '../../src/executors/config-schemas';
import { ManifestError } from '../../src/manifest/errors';
import { parseManifestBytes } from '../../src/manifest/load';
import { plainDataIssues } from '../../src/manifest/plain-data';
import type { Manifest } from '../../src/manifest/schema';
import { decidedPart, planOrThrow, type Plan } from '../../src/plan';
import { runSurface, type CaseOutcome, type RunOptions, type Surface, type SurfaceReport } from '../lib/cases';
import { manifestCase, type ManifestCase } from './manifest-inputs';

/** What loadAndPlan does after reading the file, from the bytes (ManifestError, as loadManifestFile and planOrThrow throw it). */
export function loadAndPlanBytes(bytes: Uint8Array, sourceName: string): { manifest: Manifest; plan: Plan } {
  const result = parseManifestBytes(bytes, sourceName);
  if (!result.ok) throw new ManifestError(result.issues);
  return { manifest: result.manifest, plan: planOrThrow(result.manifest) };
}

/** Why an accepted manifest could not run, or undefined. */
export function planProblems(manifest: Manifest, plan: Plan, sourceName: string): string[] {
  const problems: string[] = [];
  const services = manifest.deployment.services;
  const names = services.map((s) => s.name);
  if (plan.order.length !== names.length || new Set(plan.order).size !== names.length || !names.every((n) => plan.order.includes(n))) {
    problems.push(`plan.order does not hold every service exactly once (${plan.order.length} entries for ${names.length} services)`);
  }
  const position = new Map(plan.order.map((n, i) => [n, i]));
  for (const s of services) {
    for (const d of s.dependencies) {
      if (!((position.get(d) ?? Infinity) < (position.get(s.name) ?? -1))) problems.push(`${s.name} is ordered before its dependency ${d}`);
      if (!(plan.waveOf[d] < plan.waveOf[s.name])) problems.push(`${s.name} is in wave ${plan.waveOf[s.name]}, not after its dependency ${d} (wave ${plan.waveOf[d]})`);
    }
    const schema = (EXECUTOR_CONFIG_SCHEMAS as Record<string, { safeParse(v: unknown): { success: boolean } } | undefined>)[s.executor];
    if (s.config === undefined ? CONFIG_REQUIRED.has(s.executor) : schema !== undefined && !schema.safeParse(s.config).success) {
      problems.push(`${s.name}: config is not valid for executor ${s.executor}`);
    }
  }
  const notPlain = plainDataIssues(manifest);
  if (notPlain.length > 0) problems.push(`the validated manifest is not plain JSON data: ${notPlain.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  // The start input as startDeployment builds it, and the checks it runs before anything starts.
  const input = { deploymentId: newDeploymentId(), manifest, plan: decidedPart(plan), source: sourceName, requestedBy: 'fuzz', baseDir: '/srv/manifests' };
  try {
    checkPayloadSizes(input, manifest);
    deploymentStartOptions(input);
  } catch (error) {
    problems.push(`accepted by plan but refused at start: ${(error as Error).message}`);
  }
  return problems;
}

function issuesProblem(error: ManifestError): string | undefined {
  if (error.issues.length === 0) return 'a ManifestError with no issues';
  const bad = error.issues.find((i) => typeof i.path !== 'string' || i.path === '' || typeof i.message !== 'string' || i.message.trim() === '');
  return bad ? `an issue without a path or message: ${JSON.stringify(bad)}` : undefined;
}

export function checkManifestCase(c: ManifestCase): CaseOutcome {
  let planned: { manifest: Manifest; plan: Plan };
  try {
    planned = loadAndPlanBytes(c.bytes, c.sourceName);
  } catch (error) {
    if (!(error instanceof ManifestError)) return { outcome: 'violation', message: `not a ManifestError: ${(error as Error)?.stack ?? String(error)}` };
    const bad = issuesProblem(error);
    if (bad) return { outcome: 'violation', message: bad };
    if (c.mustAccept) return { outcome: 'violation', message: `refused, expected accepted: ${error.message.slice(0, 500)}` };
    const missing = (c.mustRefuseWith ?? []).filter((word) => !error.issues.some((i) => i.message.includes(word)));
    if (missing.length > 0) return { outcome: 'violation', message: `refused without naming ${missing.join(', ')}: ${error.message.slice(0, 500)}` };
    return { outcome: 'refused' };
  }
  if (c.mustRefuseWith) return { outcome: 'violation', message: `accepted, expected refused naming ${c.mustRefuseWith.join(', ')}` };
  const problems = planProblems(planned.manifest, planned.plan, c.sourceName);
  return problems.length > 0 ? { outcome: 'violation', message: problems.join('; ') } : { outcome: 'accepted' };
}

export function describeManifestCase(c: ManifestCase): string {
  const text = Buffer.from(c.bytes).toString('utf8');
  return `${c.kind} ${c.sourceName} (${c.bytes.length} bytes): ${JSON.stringify(text)}`;
}

export const manifestSurface: Surface<ManifestCase> = {
  name: 'manifests (load, parse, validate, plan)',
  arbitrary: manifestCase,
  check: checkManifestCase,
  describe: describeManifestCase,
};

export function checkManifests(opts: RunOptions): Promise<SurfaceReport> {
  return runSurface(manifestSurface, opts);
}
