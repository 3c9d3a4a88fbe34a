/**
 * The parent's history must stay small enough for large deployments: at most 8 events per
 * service on a successful 50-service deployment (Temporal's per-history limits are far away).
 */
import type { ServiceInput } from '../../src/manifest/schema';
import { useWorld } from '../support/world';

const EVENTS_PER_SERVICE_BUDGET = 8;

describe('history budget', () => {
  const world = useWorld('budget');

  it(`keeps the parent at ≤ ${EVENTS_PER_SERVICE_BUDGET} events per service on 50 services`, async () => {
    // Five layers of ten: each service depends on its counterpart in the layer above, so the
    // scheduler starts and finishes services throughout the run, not all at once.
    const services: ServiceInput[] = [];
    for (let layer = 0; layer < 5; layer++) {
      for (let i = 0; i < 10; i++) {
        services.push({
          name: `l${layer}-s${i}`,
          type: 'docker',
          dependencies: layer === 0 ? [] : [`l${layer - 1}-s${i}`],
          simulate: { duration: `${20 + ((i * 7) % 5) * 10}ms` },
        });
      }
    }
    const { handle } = await world.deploy(world.manifest(services, { environment: 'budget' }));
    expect((await handle.result()).phase).toBe('SUCCEEDED');
    const history = await handle.fetchHistory();
    const events = history.events?.length ?? 0;
    const perService = events / services.length;
    process.stdout.write(`parent history: ${events} events for ${services.length} services (${perService.toFixed(2)} per service)\n`);
    expect(perService).toBeLessThanOrEqual(EVENTS_PER_SERVICE_BUDGET);
  });
});
