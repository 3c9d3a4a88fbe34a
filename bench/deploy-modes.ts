/**
 * Side-by-side benchmark on one local dev server: the same skewed manifest deployed eagerly, in
 * waves (the seed's barrier semantics) and serially (max_parallel 1), plus the parent's history
 * size per service for a wide and a chained 50-service deployment. Prints figures; asserts nothing.
 *
 *   npm run bench
 */
import type { Client } from '@temporalio/client';
import { startDeployment } from '../src/client/deployments';
import { validateManifestOrThrow } from '../src/manifest/validate';
import type { ServiceInput } from '../src/manifest/schema';
import { planOrThrow } from '../src/plan';
import { withEphemeralStack } from '../scripts/lib/ephemeral-stack';

const TASK_QUEUE = 'bench';

/** Two long services in wave 1; each has a short chain behind it, and one short service beside them. */
function skewed(): ServiceInput[] {
  const d = (ms: number) => ({ duration: `${ms}ms` });
  return [
    { name: 'net', type: 'terraform', simulate: d(300) },
    { name: 'db', type: 'terraform', dependencies: ['net'], simulate: d(1500) },
    { name: 'cluster', type: 'kubernetes', dependencies: ['net'], simulate: d(300) },
    { name: 'api', type: 'kubernetes', dependencies: ['cluster'], simulate: d(300) },
    { name: 'web', type: 'kubernetes', dependencies: ['api'], simulate: d(300) },
    { name: 'worker', type: 'kubernetes', dependencies: ['db'], simulate: d(300) },
    { name: 'dash', type: 'monitoring', dependencies: ['cluster'], simulate: d(300) },
  ];
}

function fifty(shape: 'wide' | 'chain'): ServiceInput[] {
  return Array.from({ length: 50 }, (_, i) => ({
    name: `s${i}`,
    type: 'docker' as const,
    dependencies: shape === 'chain' && i > 0 ? [`s${i - 1}`] : [],
    simulate: { duration: '10ms' },
  }));
}

async function deploy(client: Client, name: string, services: ServiceInput[], strategy: object) {
  const manifest = validateManifestOrThrow({ deployment: { name, environment: 'bench', strategy, services } });
  const { handle } = await startDeployment(client, manifest, { taskQueue: TASK_QUEUE });
  const result = await handle.result();
  // The deployment workflow's own start to close: the client's preflight (a round trip to the
  // worker before the start) is the same for every mode and would only blur the comparison.
  const { startTime, closeTime } = await handle.describe();
  const wallMs = closeTime!.getTime() - startTime.getTime();
  const events = (await handle.fetchHistory()).events?.length ?? 0;
  return { plan: planOrThrow(manifest), wallMs, events, phase: result.phase };
}

async function main(): Promise<void> {
  await withEphemeralStack(TASK_QUEUE, async ({ client }) => {
    const rows: string[] = [];
    const modes: Array<[string, object]> = [
      ['eager', { execution: 'eager' }],
      ['waves', { execution: 'waves' }],
      ['serial', { max_parallel: 1 }],
    ];
    let serialWall = 0;
    const results = [];
    for (const [mode, strategy] of modes) {
      const r = await deploy(client, `skewed-${mode}`, skewed(), strategy);
      results.push({ mode, ...r });
      if (mode === 'serial') serialWall = r.wallMs;
    }
    const { plan } = results[0];
    console.log(`skewed manifest: 7 services, serial sum ${plan.serialSumMs} ms, critical path ${plan.criticalPathMs} ms`);
    for (const r of results) {
      rows.push(
        `  ${r.mode.padEnd(7)} wall ${String(r.wallMs).padStart(6)} ms   ${(r.wallMs / serialWall).toFixed(2)}× serial run   ` +
          `${(r.wallMs / plan.criticalPathMs).toFixed(2)}× critical path   ${r.phase}`,
      );
    }
    console.log(rows.join('\n'));
    for (const shape of ['wide', 'chain'] as const) {
      const r = await deploy(client, `fifty-${shape}`, fifty(shape), {});
      console.log(`50 services, ${shape.padEnd(5)}: parent history ${r.events} events = ${(r.events / 50).toFixed(2)} per service (budget 8); wall ${r.wallMs} ms`);
    }
  });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
