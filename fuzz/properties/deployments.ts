/**
 * Property: accepted generated manifests run. A sample of them (simulated cloud only, no fault that
 * fails them, no approval gate) is deployed for real, one after the other, against a real Temporal
 * server: each must end SUCCEEDED, every service applied exactly once (the sim cloud's call log),
 * nothing compensated. Used by test/fuzz/deployments.test.ts (3, the test suite's server) and by
 * `npm run fuzz` (20, its own dev server).
 */
import { stringify } from 'yaml';
import type { Client } from '@temporalio/client';
import { startDeployment } from '../../src/client/deployments';
import type { SimCloudClient } from '../../src/simcloud';
import { generateCase, type CaseOutcome, type SurfaceReport } from '../lib/cases';
import { validManifest } from './manifest-inputs';
import { loadAndPlanBytes } from './manifest';

export interface DeploymentTarget {
  client: Client;
  taskQueue: string;
  cloud: SimCloudClient;
  /** Deployment names are `<prefix>-<case>`: unique per run, valid names (at most 63 characters in all). */
  namePrefix: string;
}

/** A sample deployment has this long to end (its services take milliseconds; the rest is Temporal). */
const DEPLOYMENT_DEADLINE_MS = 120_000;

export const runnableManifest = validManifest(8, { runnable: true });

export async function deployCase(target: DeploymentTarget, seed: number, index: number): Promise<CaseOutcome> {
  const doc = generateCase(runnableManifest, seed, index) as { deployment: Record<string, unknown> };
  const name = `${target.namePrefix}-${index}`;
  const text = stringify({ deployment: { ...doc.deployment, name, environment: 'fuzz' } });
  const { manifest, plan } = loadAndPlanBytes(new TextEncoder().encode(text), 'fuzz.yaml');
  const started = await startDeployment(target.client, manifest, { taskQueue: target.taskQueue, plan, source: 'fuzz.yaml', requestedBy: 'fuzz' });
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    started.handle.result(),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`did not end within ${DEPLOYMENT_DEADLINE_MS / 1000} s`)), DEPLOYMENT_DEADLINE_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  const problems: string[] = [];
  if (result.phase !== 'SUCCEEDED') problems.push(`ended ${result.phase}: ${result.error ?? ''}`);
  const calls = (await target.cloud.calls()).filter((c) => c.deploymentId === started.deploymentId);
  for (const service of manifest.deployment.services) {
    const applied = calls.filter((c) => c.service === service.name && c.op === 'apply' && (c.outcome === 'created' || c.outcome === 'updated'));
    if (applied.length !== 1) problems.push(`${service.name} applied ${applied.length} times`);
  }
  const compensated = calls.filter((c) => c.op === 'compensate');
  if (compensated.length > 0) problems.push(`${compensated.length} compensations`);
  return problems.length > 0 ? { outcome: 'violation', message: `${name} (${manifest.deployment.services.length} services): ${problems.join('; ')}` } : { outcome: 'accepted' };
}

/** `count` sample deployments; the time limit per case is the deployment deadline, not MAX_CASE_MS. */
export async function deploySample(target: DeploymentTarget, opts: { count: number; seed: number }): Promise<SurfaceReport> {
  const report: SurfaceReport = { surface: 'sample deployments (real Temporal)', cases: 0, accepted: 0, refused: 0, violations: [], slowestMs: 0, slowestCase: -1, seed: opts.seed };
  for (let i = 0; i < opts.count; i++) {
    const t0 = performance.now();
    let outcome: CaseOutcome;
    try {
      outcome = await deployCase(target, opts.seed, i);
    } catch (error) {
      outcome = { outcome: 'violation', message: `threw ${(error as Error)?.stack ?? String(error)}` };
    }
    const ms = performance.now() - t0;
    report.cases++;
    if (ms > report.slowestMs) Object.assign(report, { slowestMs: ms, slowestCase: i });
    if (outcome.outcome === 'violation') report.violations.push({ caseIndex: i, message: outcome.message, input: JSON.stringify(generateCase(runnableManifest, opts.seed, i)).slice(0, 300) });
    else report[outcome.outcome]++;
  }
  return report;
}
