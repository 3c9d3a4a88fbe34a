/** The payloads a deployment will send are measured before it starts, against Temporal's limit. */
import { checkPayloadSizes } from '../../src/client/payload-size';
import { MAX_PAYLOAD_BYTES } from '../../src/api/temporal-limits';
import { ManifestError } from '../../src/manifest/errors';
import { manifestSchema, type Manifest } from '../../src/manifest/schema';
import { decidedPart, planOrThrow } from '../../src/plan';

/** n independent simulated services named with `width` characters; parsed with every default filled in. */
function manifestOf(n: number, width: number, strategy: object = {}): Manifest {
  const services = Array.from({ length: n }, (_, i) => ({
    name: `s${String(i).padStart(width - 1, '0')}`,
    type: 'docker',
    executor: 'simulated',
    simulate: { duration: '1ms' },
  }));
  return manifestSchema.parse({ deployment: { name: 'big', environment: 'bench', strategy, services } });
}

const inputOf = (manifest: Manifest) => ({ deploymentId: 'dep-1', manifest, plan: decidedPart(planOrThrow(manifest)) });

describe('checkPayloadSizes', () => {
  it('lets a 2,000-service platform start', () => {
    const manifest = manifestOf(2_000, 8);
    expect(() => checkPayloadSizes(inputOf(manifest), manifest)).not.toThrow();
  });

  it('refuses a start input over the payload limit, naming it and the fix, though the manifest alone is under it', () => {
    const manifest = manifestOf(3_300, 40);
    expect(JSON.stringify(manifest).length).toBeLessThan(MAX_PAYLOAD_BYTES);
    let thrown: unknown;
    try {
      checkPayloadSizes(inputOf(manifest), manifest);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ManifestError);
    expect((thrown as ManifestError).issues).toEqual([
      { path: 'deployment', message: expect.stringMatching(/^its start input \(the manifest and the decided plan\) would be \d+ KiB, over the 1920 KiB .*split the platform/) },
    ]);
  });

  it('refuses a rollback manifest that the deployment settings folded into every service push over the limit', () => {
    const resilience = { provider: 'p'.repeat(200), breaker: { failures: 5, cool_down: '30s' }, retry_budget: { ratio: 0.2, window: '1m', min_calls: 10 } };
    const manifest = manifestOf(2_600, 8, { resilience });
    const issues = (() => {
      try {
        checkPayloadSizes({ deploymentId: 'dep-1' }, manifest);
        return [];
      } catch (err) {
        return (err as ManifestError).issues;
      }
    })();
    expect(issues.map((i) => i.message)).toEqual([expect.stringMatching(/^the rollback manifest it stores first .* would be \d+ KiB/)]);
  });
});
