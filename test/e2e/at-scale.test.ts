/**
 * The "done when", end to end on real components: a release submitted through Redis is
 * taken by the ingress, its workflows run on a main-queue worker and its infrastructure steps on a
 * specialist `infra` worker, everything recorded in PostgreSQL. The next release fails after the
 * infra worker that applied it died; its rollback runs on another infra worker (its own
 * TUGBOAT_HOME, nothing on disk shared), restores the previous version from the rollback manifest
 * in PostgreSQL, and the ingress publishes the failed result. Requires the build (dist/).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activitySteps, identityOf } from '../support/activity-steps';
import { messagesFor, spawnIngress, task, useRedis, type IngressProcess } from '../ingress/support';
import { dropSchemas, testStateUrl, uniqueSchema } from '../support/postgres';
import { waitFor } from '../support/wait';
import { spawnWorker, type WorkerProcess } from '../support/worker-process';
import { callsOf, useWorld } from '../support/world';

describe('at scale: Redis ingress, specialist workers, PostgreSQL state', () => {
  const world = useWorld('at-scale', { worker: false });
  const t = useRedis(() => `${world.name}:pending`);
  const schema = uniqueSchema('scale');
  const homes = [1, 2, 3].map((n) => fs.mkdtempSync(path.join(os.tmpdir(), `tugboat-scale-home${n}-`)));
  const started: Array<WorkerProcess | IngressProcess> = [];
  const worker = async (home: string, queues: string) => {
    const w = await spawnWorker({ taskQueue: world.taskQueue, simCloudUrl: world.simCloudUrl, home, queues, env: { TUGBOAT_STATE: testStateUrl(schema) } });
    started.push(w);
    return w;
  };

  afterAll(async () => {
    for (const p of started.splice(0)) await p.process.stop({ graceMs: 5_000 });
    for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
    await dropSchemas(schema);
  });

  it('deploys a task from Redis across specialist workers and restores its successor on another worker', async () => {
    const net = `${world.name}-net`;
    const app = `${world.name}-app`;
    const release = (version: string, appFails = false) => ({
      name: world.name,
      environment: 'prod',
      services: [
        { name: net, type: 'terraform', version, task_queue: 'infra', simulate: { duration: '10ms' } },
        { name: app, type: 'kubernetes', version, dependencies: [net], simulate: { duration: '10ms', fail_permanent: appFails } },
      ],
    });

    const main = await worker(homes[0], 'main');
    const infra1 = await worker(homes[1], 'infra');
    started.push(await spawnIngress({ taskQueue: world.taskQueue, queueKey: t.keys.pending }));

    // v1 through Redis: completed, net applied by the infra worker, app by the main one.
    await t.push(task(`${world.name}-v1`, release('1.0.0')));
    const v1 = await t.waitForResult(`${world.name}-v1`);
    expect(v1).toMatchObject({ status: 'completed', phase: 'SUCCEEDED', failed: [] });
    const netSteps = await activitySteps(world.client.workflow, `${v1.deploymentId}.${net}`);
    expect(netSteps.map((s) => s.taskQueue)).toEqual([`${world.taskQueue}-infra`, `${world.taskQueue}-infra`]);
    for (const s of netSteps) expect(s.identity).toMatch(identityOf(infra1.process.pid));
    for (const s of await activitySteps(world.client.workflow, `${v1.deploymentId}.${app}`)) expect(s.identity).toMatch(identityOf(main.process.pid));

    // v2: net is updated by infra worker 1, app is held; worker 1 dies; app then fails.
    await world.cloud.hold(app, 'apply');
    await t.push(task(`${world.name}-v2`, release('2.0.0', true)));
    await world.cloud.waitUntilHeld(app, 'apply');
    expect((await world.cloud.getService(net))?.version).toBe('2.0.0');
    infra1.process.kill('SIGKILL');
    expect((await infra1.process.exited).signal).toBe('SIGKILL');
    const infra2 = await worker(homes[2], 'infra');
    await world.cloud.release(app, 'apply');

    const v2 = await t.waitForResult(`${world.name}-v2`);
    expect(v2).toMatchObject({ status: 'failed', phase: 'ROLLED_BACK', failed: [app] });
    expect((await world.cloud.getService(net))?.version).toBe('1.0.0');
    const restores = callsOf(await world.cloud.calls({ op: 'compensate' }), net, 'compensate').filter((c) => c.deploymentId === v2.deploymentId);
    expect(restores.map((c) => c.outcome)).toContain('restored');
    // The compensation ran on the second infra worker, which never saw v2's apply.
    const parent = `deploy-${world.name}.prod`;
    const compensations = (await activitySteps(world.client.workflow, parent)).filter((s) => s.type === 'compensateService');
    const onInfra = compensations.filter((s) => s.taskQueue === `${world.taskQueue}-infra`);
    expect(onInfra.length).toBeGreaterThan(0);
    for (const s of onInfra) expect(s.identity).toMatch(identityOf(infra2.process.pid));
    // app's own (simulated: main queue) compensation stayed with the main worker.
    for (const s of compensations.filter((c) => !onInfra.includes(c))) {
      expect(s).toEqual({ type: 'compensateService', taskQueue: world.taskQueue, identity: expect.stringMatching(identityOf(main.process.pid)) });
    }
    await waitFor(() => messagesFor(t, `${world.name}-v2`).length > 0, { what: 'the v2 result on the channel' });
    expect(messagesFor(t, `${world.name}-v2`)).toEqual([v2]);
    // Nothing was kept on any worker's disk: the state is in PostgreSQL.
    for (const home of homes) expect(fs.existsSync(path.join(home, 'state'))).toBe(false);
  });
});
