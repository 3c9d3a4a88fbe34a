/**
 * The ingress as a real process, killed (SIGKILL, no goodbye) at its two dangerous moments:
 * between taking a task and starting its workflow — the task waits in the processing list and the
 * next ingress re-drives it, deploying it exactly once; and while the deployment runs — the result
 * is published once an ingress is back (its publisher activity waits on the ingress's queue).
 * Requires the build (bin/tugboat.js runs dist/).
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { ingressWorkflowId } from '../../src/api/workflow-ids';
import { resultKey } from '../../src/ingress/keys';
import { callsOf, useWorld } from '../support/world';
import { waitFor } from '../support/wait';
import { messagesFor, spawnIngress, task, useRedis, type IngressProcess } from '../ingress/support';

describe('ingress crash', () => {
  const world = useWorld('ingress-crash');
  const t = useRedis(() => `${world.name}:pending`);
  const ingresses: IngressProcess[] = [];
  afterEach(async () => {
    for (const i of ingresses.splice(0)) await i.process.stop({ graceMs: 5_000 });
  });
  const spawn = async (env: NodeJS.ProcessEnv = {}) => {
    const started = await spawnIngress({ taskQueue: world.taskQueue, queueKey: t.keys.pending, env });
    ingresses.push(started);
    return started;
  };
  const kill = async (ingress: IngressProcess) => {
    ingress.process.kill('SIGKILL');
    expect((await ingress.process.exited).signal).toBe('SIGKILL');
  };
  const saw = (ingress: IngressProcess, line: string, what: string) =>
    waitFor(() => ingress.output.some((l) => l.startsWith(line)), { timeoutMs: 30_000, what });

  it('re-drives a task whose ingress was killed between take and start, and deploys it exactly once', async () => {
    const id = `${world.name}-kill`;
    const service = `${world.name}-kill-api`;
    const raw = task(id, { name: world.name, environment: 'kill', services: [{ name: service, type: 'kubernetes', simulate: { duration: '10ms' } }] });

    const first = await spawn({ TUGBOAT_INGRESS_TEST_HOLD_AFTER_TAKE: '1' });
    await t.push(raw);
    await saw(first, `taken ${id}`, 'the first ingress to take the task');
    await kill(first);

    // Taken, not started, not lost: in the processing list, no workflow for it.
    expect(await t.list(t.keys.pending)).toEqual([]);
    expect(await t.list(t.keys.processing)).toEqual([raw]);
    await expect(world.client.workflow.getHandle(ingressWorkflowId(id)).describe()).rejects.toThrow(WorkflowNotFoundError);

    const second = await spawn();
    const result = await t.waitForResult(id);
    expect(result).toMatchObject({ id, status: 'completed', services: { [service]: { state: 'SUCCEEDED' } } });
    expect(second.output.filter((l) => l.includes(id))).toEqual([
      `taken ${id} (re-driven from ${t.keys.processing})`,
      `started ${id}: workflow ${ingressWorkflowId(id)}, deployment ${result.deploymentId}`,
      `removed ${id} from ${t.keys.processing}`,
    ]);
    expect(await t.list(t.keys.processing)).toEqual([]);
    const applies = callsOf(await world.cloud.calls(), service, 'apply');
    expect(applies.map((c) => [c.deploymentId, c.outcome])).toEqual([[result.deploymentId, 'created']]);
    await waitFor(() => messagesFor(t, id).length > 0, { what: 'the result on the channel' });
    expect(messagesFor(t, id)).toEqual([result]);
  });

  it('publishes the result of a deployment that ended while no ingress ran, once one is back', async () => {
    const id = `${world.name}-late`;
    const service = `${world.name}-late-api`;
    await world.cloud.hold(service, 'apply');
    const first = await spawn();
    await t.push(task(id, { name: world.name, environment: 'late', services: [{ name: service, type: 'kubernetes', simulate: { duration: '10ms' } }] }));
    await saw(first, `removed ${id}`, 'the task to be started and removed');
    await world.cloud.waitUntilHeld(service, 'apply');
    await kill(first);

    await world.cloud.release(service, 'apply');
    // The deployment ends; its result waits for a publisher (no ingress polls the ingress queue).
    const handle = world.client.workflow.getHandle(`deploy-${world.name}.late`);
    expect((await handle.result()).phase).toBe('SUCCEEDED');
    expect(await t.redis.exists(resultKey(t.keys, id))).toBe(0);

    const second = await spawn();
    const result = await t.waitForResult(id);
    expect(result).toMatchObject({ id, status: 'completed', phase: 'SUCCEEDED' });
    await world.client.workflow.getHandle(ingressWorkflowId(id)).result();

    // And SIGTERM stops it cleanly.
    second.process.kill('SIGTERM');
    expect(await second.process.exited).toEqual({ code: 0, signal: null });
    expect(second.output.slice(-2)).toEqual(['SIGTERM: ingress stopping after the task in hand', 'ingress stopped']);
  });
});
