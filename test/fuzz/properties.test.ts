/**
 * The fuzzer's properties at the CI size: 1,000 cases per surface, fixed seeds (so a failure
 * here is reproducible with `npm run fuzz -- --only <surface> --seed <seed>`; TUGBOAT_FUZZ_SEED picks
 * another). Pure apart from the sim cloud, which runs in this process. npm run fuzz runs 10,000.
 */
import { checkIngressTasks } from '../../fuzz/properties/ingress-task';
import { checkManifests } from '../../fuzz/properties/manifest';
import { checkOperatorPayloads } from '../../fuzz/properties/operator-payloads';
import { checkSimCloudHttp } from '../../fuzz/properties/simcloud-http';
import type { RunOptions, SurfaceReport } from '../../fuzz/lib/cases';

const CASES = 1_000;
const SEED = Number(process.env.TUGBOAT_FUZZ_SEED ?? 13);

async function expectNoViolations(check: (opts: RunOptions) => Promise<SurfaceReport>): Promise<SurfaceReport> {
  const report = await check({ numRuns: CASES, seed: SEED });
  expect(report.violations).toEqual([]);
  expect(report.cases).toBe(CASES);
  // Both outcomes occur: a generator that only ever produced garbage (or only valid input) would prove little.
  expect(report.accepted).toBeGreaterThan(0);
  expect(report.refused).toBeGreaterThan(0);
  return report;
}

describe('fuzzing at the CI size (1,000 cases per surface)', () => {
  it('manifests: every input ends in a plan that can run or in the error listing, none over 2 s of CPU', async () => {
    await expectNoViolations(checkManifests);
  });

  it('the sim cloud HTTP server: 4xx JSON for what it refuses, never a 5xx or a hang, nothing changed', async () => {
    await expectNoViolations(checkSimCloudHttp);
  });

  it('the ingress task format: a task or the problems, never a throw; accepted tasks are well-formed', async () => {
    await expectNoViolations(checkIngressTasks);
  });

  it('operator update payloads: wrong shapes refused by the validators with the field named', async () => {
    await expectNoViolations(checkOperatorPayloads);
  });
});
