/**
 * The scheduler on a real server: the max_parallel cap, eager vs waves, and longest remaining
 * path first when slots are scarce. Concurrency and order come from the sim cloud's sequence
 * numbers and holds, never from timing.
 */
import type { ServiceInput } from '../../src/manifest/schema';
import { callsOf, useWorld, maxConcurrentServices, waitForProgress } from '../support/world';

describe('scheduling', () => {
  const world = useWorld('scheduling');

  it('never runs more than max_parallel services at once, and does use every slot', async () => {
    const services: ServiceInput[] = Array.from({ length: 8 }, (_, i) => ({
      name: `svc-${i}`,
      type: 'docker' as const,
      simulate: { duration: '150ms' },
    }));
    const manifest = world.manifest(services, { environment: 'cap', strategy: { max_parallel: 2 } });
    const { handle, deploymentId } = await world.deploy(manifest);
    expect((await handle.result()).phase).toBe('SUCCEEDED');
    const calls = (await world.cloud.calls()).filter((c) => c.deploymentId === deploymentId);
    expect(calls.filter((c) => c.op === 'apply')).toHaveLength(8);
    expect(maxConcurrentServices(calls)).toBe(2);
  });

  // a and b form wave 1; c (after a) is wave 2. b is held, so only the barrier decides c.
  const skewed = (): ServiceInput[] => [
    { name: 'a', type: 'shell', simulate: { duration: '10ms' } },
    { name: 'b', type: 'shell', simulate: { duration: '10ms' } },
    { name: 'c', type: 'shell', dependencies: ['a'], simulate: { duration: '10ms' } },
  ];

  it('eager: a later-wave service starts while an earlier-wave one is still running', async () => {
    await world.cloud.hold('b', 'apply');
    const { handle, deploymentId } = await world.deploy(world.manifest(skewed(), { environment: 'eager' }));
    await waitForProgress(handle, (p) => p.services.c.state === 'SUCCEEDED', 'c to succeed while b is held');
    const held = await world.cloud.holds();
    expect(held).toEqual([expect.objectContaining({ service: 'b', op: 'apply', waiting: 1 })]);
    await world.cloud.release('b', 'apply');
    expect((await handle.result()).phase).toBe('SUCCEEDED');
    const calls = (await world.cloud.calls()).filter((c) => c.deploymentId === deploymentId);
    const bApply = callsOf(calls, 'b', 'apply')[0];
    expect(callsOf(calls, 'c', 'verify')[0].completedSeq).toBeLessThan(bApply.completedSeq!);
  });

  it('waves: a later-wave service waits for the whole previous wave', async () => {
    await world.cloud.hold('b', 'apply');
    const { handle, deploymentId } = await world.deploy(
      world.manifest(skewed(), { environment: 'waves', strategy: { execution: 'waves' } }),
    );
    // The workflow has seen a succeed and decided: c waits for the barrier, not for a slot.
    const progress = await waitForProgress(handle, (p) => p.services.a.state === 'SUCCEEDED', 'a to succeed');
    expect(progress.services.c.state).toBe('WAITING');
    expect(progress.services.b.state).toBe('RUNNING');
    const before = (await world.cloud.calls()).filter((c) => c.deploymentId === deploymentId);
    expect(callsOf(before, 'c', 'apply')).toHaveLength(0);

    await world.cloud.release('b', 'apply');
    expect((await handle.result()).phase).toBe('SUCCEEDED');
    const calls = (await world.cloud.calls()).filter((c) => c.deploymentId === deploymentId);
    expect(callsOf(calls, 'c', 'apply')[0].seq).toBeGreaterThan(callsOf(calls, 'b', 'verify')[0].completedSeq!);
  });

  it('starts the service with the longest remaining path first when slots are scarce', async () => {
    // x → y → z is the long chain; p and q stand alone. One slot: x, y, then ties by name.
    const services: ServiceInput[] = [
      { name: 'p', type: 'shell', simulate: { duration: '20ms' } },
      { name: 'q', type: 'shell', simulate: { duration: '20ms' } },
      { name: 'x', type: 'shell', simulate: { duration: '20ms' } },
      { name: 'y', type: 'shell', dependencies: ['x'], simulate: { duration: '20ms' } },
      { name: 'z', type: 'shell', dependencies: ['y'], simulate: { duration: '20ms' } },
    ];
    const { handle, deploymentId } = await world.deploy(
      world.manifest(services, { environment: 'priority', strategy: { max_parallel: 1 } }),
    );
    expect((await handle.result()).phase).toBe('SUCCEEDED');
    const applies = (await world.cloud.calls({ op: 'apply' }))
      .filter((c) => c.deploymentId === deploymentId)
      .sort((a, b) => a.seq - b.seq)
      .map((c) => c.service);
    expect(applies).toEqual(['x', 'y', 'p', 'q', 'z']);
  });
});
