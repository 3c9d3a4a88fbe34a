import { readdir, readFile } from 'node:fs/promises';
import {
  SimCloudClient,
  SimCloudTransientError,
  startSimCloud,
  type SimCloudState,
} from '../../src/simcloud';
import { applyRequest, newKey, useTestCloud } from './helpers';

const cloud = useTestCloud();

const applyReq = (service: string, idempotencyKey = newKey(service)) =>
  applyRequest(service, { deploymentId: 'dep-d', idempotencyKey });

const readState = async (): Promise<SimCloudState> => JSON.parse(await readFile(cloud().stateFile, 'utf8'));

describe('durability', () => {
  test('a restart on the same file keeps resources, records, calls and the seq counter', async () => {
    const key = newKey('web');
    const first = await cloud().client.apply(applyReq('web', key));
    await cloud().client.apply(applyReq('db-cluster'));
    await cloud().client.compensate({ service: 'db-cluster', deploymentId: 'dep-d', idempotencyKey: 'u1', action: 'delete' });
    await cloud().client.setOverride('web', { fail_transient: 0 });
    const before = {
      resources: await cloud().client.resources(),
      web: await cloud().client.getService('web'),
      calls: await cloud().client.calls(),
    };
    const lastSeq = Math.max(...before.calls.map((c) => c.completedSeq ?? c.seq));

    await cloud().restart();
    expect(await cloud().client.resources()).toEqual(before.resources);
    expect(await cloud().client.getService('web')).toEqual(before.web);
    expect(await cloud().client.calls()).toEqual(before.calls);

    // Idempotency survives too, and the counter continues where it stopped.
    const repeat = await cloud().client.apply(applyReq('web', key));
    expect(repeat).toMatchObject({ outcome: 'repeat', seq: first.seq });
    const next = await cloud().client.apply(applyReq('api'));
    expect(next.seq).toBeGreaterThan(lastSeq);
    expect((await readState()).overrides).toEqual({ web: { fail_transient: 0 } });
  });

  test('an answered apply is already in the state file (persisted before the answer)', async () => {
    const result = await cloud().client.apply(applyReq('early'));
    const state = await readState();
    expect(state.services.early?.resources).toEqual(result.resources);
    expect(state.calls.find((c) => c.seq === result.seq)).toMatchObject({ outcome: 'created' });
  });

  test('many concurrent writes leave a valid, complete state file and no temp files', async () => {
    const services = Array.from({ length: 40 }, (_, i) => `svc-${i}`);
    const results = await Promise.all(
      services.map((s, i) =>
        i % 4 === 0 ? cloud().client.setOverride(s, { fail_permanent: false }) : cloud().client.apply(applyReq(s)),
      ),
    );
    expect(results).toHaveLength(40);
    const state = await readState(); // throws if the file is not valid JSON
    const applied = services.filter((_, i) => i % 4 !== 0);
    expect(Object.keys(state.services).sort()).toEqual([...applied].sort());
    expect(Object.keys(state.overrides)).toHaveLength(10);
    expect(state.calls.every((c) => c.completedSeq !== null)).toBe(true);
    const seqs = state.calls.flatMap((c) => [c.seq, c.completedSeq]);
    expect(new Set(seqs).size).toBe(seqs.length); // one counter: no number handed out twice
    expect(state.seq).toBe(Math.max(...(seqs as number[])));

    await cloud().restart();
    expect(await cloud().client.resources()).toHaveLength(applied.length);
    expect((await readdir(cloud().dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  test('close fails held requests; after restart they show as interrupted and the key can be retried', async () => {
    const key = newKey('held');
    await cloud().client.hold('held', 'apply');
    const pending = cloud().client.apply(applyReq('held', key));
    await cloud().client.waitUntilHeld('held', 'apply');

    await cloud().restart();
    await expect(pending).rejects.toBeInstanceOf(SimCloudTransientError);
    const [call] = await cloud().client.calls({ service: 'held' });
    expect(call).toMatchObject({ outcome: 'transient_error', detail: expect.stringMatching(/interrupted/) });
    expect(call.completedSeq).toBeGreaterThan(call.seq);
    expect(await cloud().client.holds()).toEqual([]); // holds are not persisted
    expect((await cloud().client.apply(applyReq('held', key))).outcome).toBe('created');
  });

  test('without a state file the cloud lives in memory', async () => {
    const server = await startSimCloud({});
    try {
      const client = new SimCloudClient(server.url);
      expect((await client.apply(applyReq('mem'))).outcome).toBe('created');
      expect(await client.resources()).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
