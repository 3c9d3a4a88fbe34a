/**
 * Accepted generated manifests run: a small sample (the same generator and checks as `npm run fuzz`'s
 * 20) deployed for real on the simulated cloud against the suite's Temporal server. Each ends
 * SUCCEEDED with every service applied exactly once and nothing compensated.
 */
import { deployCase } from '../../fuzz/properties/deployments';
import { useWorld } from '../support/world';

const SAMPLE = 3;
const SEED = Number(process.env.TUGBOAT_FUZZ_SEED ?? 13);

describe('sample deployments of generated manifests', () => {
  const world = useWorld('fuzz-deploy');

  it(`${SAMPLE} accepted manifests deploy to SUCCEEDED, each service applied once`, async () => {
    const outcomes = [];
    for (let i = 0; i < SAMPLE; i++) {
      outcomes.push(await deployCase({ client: world.client, taskQueue: world.taskQueue, cloud: world.cloud, namePrefix: world.name }, SEED, i));
    }
    expect(outcomes).toEqual(Array(SAMPLE).fill({ outcome: 'accepted' }));
  });
});
