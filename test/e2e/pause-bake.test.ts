/**
 * Pause and resume, the bake window and notifications, on a real server: a paused deployment
 * lets its running service finish and starts nothing; a service going unhealthy during the bake
 * window rolls the release back, as does a rollback request during it; a dead webhook receiver
 * never fails a deployment.
 */
import { pauseUpdate, resumeSignal, resumeUpdate, rollbackUpdate } from '../../src/api/messages';
import { RequestRefusedError, sendRequest } from '../../src/client/operations';
import type { ServiceInput } from '../../src/manifest/schema';
import { callsOf, progressOf, useWorld, waitForProgress } from '../support/world';
import { failedResult } from '../support/failures';
import { waitFor } from '../support/wait';
import { deadWebhookUrl, startWebhookReceiver } from '../support/webhook-receiver';

const chain = (): ServiceInput[] => [
  { name: 'first', type: 'terraform', simulate: { duration: '10ms' } },
  { name: 'second', type: 'kubernetes', dependencies: ['first'], simulate: { duration: '10ms' } },
];

describe('pause, bake and notifications', () => {
  const world = useWorld('pause-bake');
  afterEach(async () => {
    for (const h of await world.cloud.holds()) await world.cloud.release(h.service, h.op);
  });

  it('pause: the running service finishes, nothing new starts until resume', async () => {
    const { handle, deploymentId } = await world.startHeld('first', 'apply', () => world.deploy(world.manifest(chain(), { environment: 'pause' })));
    const paused = await sendRequest(world.client, handle, pauseUpdate, { by: 'ops', reason: 'incident elsewhere' });
    expect(paused.message).toMatch(/^paused/);
    await expect(sendRequest(world.client, handle, pauseUpdate, {})).rejects.toThrow(
      new RequestRefusedError('the deployment is already paused; resume it with `tugboat resume`'),
    );
    await world.cloud.release('first', 'apply');
    const held = await waitForProgress(handle, (p) => p.services.first.state === 'SUCCEEDED' && p.phase === 'PAUSED', 'first done while paused');
    expect(held.services.second.state).toBe('WAITING');
    expect(held.paused).toMatchObject({ by: 'ops', reason: 'incident elsewhere' });
    expect(callsOf(await world.cloud.calls(), 'second', 'apply').filter((c) => c.deploymentId === deploymentId)).toEqual([]);

    await sendRequest(world.client, handle, resumeUpdate, { by: 'ops' });
    expect((await handle.result()).phase).toBe('SUCCEEDED');
    // A refused signal (nothing to resume any more) changes nothing and is recorded with why.
    const progress = await progressOf(handle);
    expect(progress.requests.map((r) => `${r.kind}/${r.outcome}`)).toEqual(['pause/accepted', 'resume/accepted']);
  });

  it('a refused signal is recorded in progress with its reason', async () => {
    const { handle } = await world.startHeld('first', 'apply', () => world.deploy(world.manifest(chain(), { environment: 'signal' })));
    await handle.signal(resumeSignal, { by: 'web-ui' });
    const progress = await waitForProgress(handle, (p) => p.requests.length === 1, 'the signal recorded');
    expect(progress.requests[0]).toMatchObject({ kind: 'resume', by: 'web-ui', via: 'signal', outcome: 'ignored', note: 'the deployment is not paused (phase DEPLOYING)' });
    await world.cloud.release('first', 'apply');
    expect((await handle.result()).phase).toBe('SUCCEEDED');
  });

  const baked = (url: string, unhealthyAfter?: string): ServiceInput[] => [
    {
      name: 'api',
      type: 'kubernetes',
      version: 'v1',
      simulate: { duration: '10ms', ...(unhealthyAfter ? { unhealthy_after: unhealthyAfter } : {}) },
      health_check: { url: `${url}/health/api`, interval: '250ms' },
    },
  ];

  it('bake: a service turning unhealthy during the window rolls the release back', async () => {
    const { handle } = await world.deploy(world.manifest(baked(world.simCloudUrl, '3s'), { environment: 'bake-bad', strategy: { bake: '2m' } }));
    const { result } = await failedResult(handle.result());
    expect(result.phase).toBe('ROLLED_BACK');
    expect(result.error).toMatch(/^bake: .*api/);
    const progress = await progressOf(handle);
    expect(progress.bake).toMatchObject({ state: 'FAILED' });
    expect(result.services.api.state).toBe('ROLLED_BACK');
  });

  it('bake: a rollback request during the window interrupts it and rolls back', async () => {
    const { handle } = await world.deploy(world.manifest(baked(world.simCloudUrl), { environment: 'bake-rollback', strategy: { bake: '10m' } }));
    await waitForProgress(handle, (p) => p.phase === 'BAKING', 'BAKING');
    await sendRequest(world.client, handle, rollbackUpdate, { by: 'sre', reason: 'error rate up' });
    const result = await handle.result();
    expect(result.phase).toBe('ROLLED_BACK');
    expect((await progressOf(handle)).bake?.state).toBe('INTERRUPTED');
  });

  it('bake: a healthy window ends SUCCEEDED; notifications reach a live receiver and a dead one fails nothing', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const dead = await deadWebhookUrl();
      const manifest = world.manifest(baked(world.simCloudUrl), {
        environment: 'bake-good',
        strategy: { bake: '1s' },
        notify: [{ webhook: receiver.url, on: ['succeeded'] }, { webhook: dead, on: ['succeeded'] }],
      });
      const { handle, deploymentId } = await world.deploy(manifest);
      expect((await handle.result()).phase).toBe('SUCCEEDED');
      const progress = await progressOf(handle);
      expect(progress.bake).toMatchObject({ state: 'PASSED' });
      expect(progress.notifications).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ event: 'succeeded', delivered: true }),
          expect.objectContaining({ event: 'succeeded', delivered: false }),
        ]),
      );
      const got = await waitFor(() => receiver.received.find((r) => r.deploymentId === deploymentId), { what: 'the succeeded notice' });
      expect(got).toMatchObject({ event: 'succeeded', phase: 'SUCCEEDED', text: expect.stringContaining('SUCCEEDED') });
    } finally {
      await receiver.close();
    }
  });
});
