/**
 * Watching is cheap: following a deployment whose services all run for seconds costs one progress
 * query per poll, a few describes of each child (to show RETRYING), and the parent only now and
 * then — not a describe of every running child and of the parent on every poll.
 */
import { Client } from '@temporalio/client';
import { watchDeployment } from '../../src/cli/watch';
import type { ServiceInput } from '../../src/manifest/schema';
import { testEnv } from '../support/temporal-env';
import { useWorld } from '../support/world';
import { waitFor } from '../support/wait';

describe('watching a deployment', () => {
  const world = useWorld('watch-cost');
  afterEach(async () => {
    for (const h of await world.cloud.holds()) await world.cloud.release(h.service, h.op);
  });

  it('describes each running child at most every few seconds, and still shows RETRYING', async () => {
    const steady = ['s1', 's2', 's3', 's4', 's5'];
    const services: ServiceInput[] = [
      ...steady.map((name): ServiceInput => ({ name, type: 'shell', simulate: { duration: '10ms' } })),
      { name: 'flaky', type: 'shell', retry: { max_attempts: 3, initial_interval: '100ms' }, simulate: { duration: '10ms', fail_transient: 1 } },
    ];
    // Every service's apply is held, so all six children run for as long as the test watches;
    // flaky is held on its second attempt, after a transient failure.
    for (const s of services) await world.cloud.hold(s.name, 'apply');
    const { workflowId, deploymentId } = await world.deploy(world.manifest(services, { environment: 'watch' }));
    await world.cloud.waitUntilHeld('flaky', 'apply');
    await world.cloud.release('flaky', 'apply');
    await world.cloud.hold('flaky', 'apply');
    for (const s of services) await world.cloud.waitUntilHeld(s.name, 'apply');

    // A client that counts what the watcher asks of the server.
    const describes = new Map<string, number>();
    let queries = 0;
    const counting = new Client({
      connection: world.client.connection,
      namespace: testEnv().namespace,
      interceptors: {
        workflow: [
          {
            async describe(input, next) {
              const id = input.workflowExecution.workflowId;
              describes.set(id, (describes.get(id) ?? 0) + 1);
              return next(input);
            },
            async query(input, next) {
              queries += 1;
              return next(input);
            },
          },
        ],
      },
    });
    const lines: string[] = [];
    const began = Date.now();
    const watching = watchDeployment(counting, counting.workflow.getHandle(workflowId), { print: (l) => lines.push(l) });

    // RETRYING shows once flaky has run long enough to be described.
    await waitFor(() => lines.some((l) => /flaky\s+RETRYING \(attempt 2: .*transient failure 1 of 1/.test(l)), {
      what: 'the watcher to show flaky RETRYING',
      timeoutMs: 15_000,
    });
    // Watch on for 25 polls (about 10 s at the default 400 ms).
    await waitFor(() => queries >= 25, { what: '25 polls of the watcher', timeoutMs: 30_000 });
    const watchedMs = Date.now() - began;
    const polls = queries;
    const children = services.map((s) => describes.get(`${deploymentId}.${s.name}`) ?? 0);

    // Every child was described (each may be retrying), but a few times each — not on every poll
    // (which was 25 each, 150 in all), and not more often than every 4 s after the first.
    for (const n of children) {
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(Math.floor(watchedMs / 4_000) + 1);
    }
    expect(children.reduce((sum, n) => sum + n, 0)).toBeLessThan(polls);
    // The parent: only now and then while it deploys (its phase is not final), plus once per query
    // that missed its deadline on a busy machine (a few at most; the old watcher described it 25 times).
    expect(describes.get(workflowId) ?? 0).toBeLessThanOrEqual(Math.ceil(watchedMs / 10_000) + 4);

    for (const s of services) await world.cloud.release(s.name, 'apply');
    const { status, end } = await watching;
    expect(end).toBe('closed');
    expect(status.phase).toBe('SUCCEEDED');
    // Once it ended, its attempts come from the steps the workflow recorded.
    expect(status.services.flaky).toMatchObject({ state: 'SUCCEEDED', attempt: 1 });
    expect(status.services.flaky.steps.apply).toMatchObject({ attempts: 2, last_failure: expect.stringMatching(/transient failure 1 of 1/) });
  });
});
