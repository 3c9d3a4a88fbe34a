/**
 * Desired state: the rule (pure) and the apply around it against a real simulated cloud and a real
 * file state store — an unchanged service gets no mutating call and no intent; anything that may
 * differ is applied.
 */
import fs from 'node:fs';
import path from 'node:path';
import { configHash, appliedConfigHash } from '../executors/service-record';
import { simulatedExecutor } from '../executors/simulated';
import { tempDir, testContext } from '../executors/testing';
import type { Executor, PreviousState } from '../executors/types';
import { SimCloudClient, startSimCloud } from '../simcloud';
import { FileStateStore } from '../state';
import type { ServiceStateRecord } from '../state/types';
import { applyUnlessUnchanged, decideUnchanged, liveOwner, type UnchangedFacts } from './unchanged';

describe('decideUnchanged', () => {
  const service = { name: 'api', version: 'v2', executor: 'simulated' as const };
  const hash = 'sha256:aaa';
  const record: ServiceStateRecord = {
    deploymentId: 'dep-1',
    executor: 'simulated',
    version: 'v2',
    outputs: { url: 'http://api' },
    resources: [{ id: 'deployment-000001', kind: 'deployment' }],
    detail: { idempotencyKey: 'dep-1:api:apply', outcome: 'created', configHash: hash },
    savedAt: '2026-11-30T00:00:00.000Z',
  };
  const live: PreviousState = { version: 'v2', outputs: record.outputs, resources: record.resources, detail: { deploymentId: 'dep-1' } };
  const facts = (over: Partial<UnchangedFacts> = {}): UnchangedFacts => ({ deploymentId: 'dep-2', service, configHash: hash, live, record, endedAs: 'SUCCEEDED', ...over });
  const reason = (f: UnchangedFacts) => {
    const d = decideUnchanged(f);
    return d.unchanged ? 'unchanged' : d.reason;
  };

  it('is unchanged when the live state is the last apply, at this version, with this config, and it was kept', () => {
    expect(decideUnchanged(facts())).toEqual({ unchanged: true });
    // Retained by a rollback: what it applied stays, so it still runs.
    expect(decideUnchanged(facts({ endedAs: 'RETAINED' }))).toEqual({ unchanged: true });
  });

  it.each<[string, Partial<UnchangedFacts>, RegExp]>([
    ['no version', { service: { ...service, version: undefined } }, /no version/],
    ['absent', { live: null }, /does not exist/],
    ['another version live', { live: { ...live, version: 'v1' } }, /runs v1, not v2/],
    ['no record', { record: undefined }, /no record/],
    ['this deployment applied it (a re-run)', { deploymentId: 'dep-1' }, /this deployment applied it already/],
    ['another executor', { record: { ...record, executor: 'shell' } }, /by the shell executor/],
    ['record of another version', { record: { ...record, version: 'v1' } }, /last recorded apply was of v1/],
    ['live state made by someone else', { live: { ...live, detail: { deploymentId: 'dep-9' } } }, /dep-9's, not .*dep-1/],
    ['live state of unknown owner', { live: { ...live, detail: undefined } }, /does not say which deployment/],
    ['no config hash kept', { record: { ...record, detail: { idempotencyKey: 'dep-1:api:apply', outcome: 'created' } } }, /no config hash/],
    ['config changed', { configHash: 'sha256:bbb' }, /config changed/],
    ['the last apply\'s deployment left no record', { endedAs: undefined }, /dep-1, which applied it last, has no deployment record/],
    ['the service failed after its record was written', { endedAs: 'FAILED' }, /ended FAILED in dep-1/],
  ])('applies when %s', (_what, over, why) => {
    expect(reason(facts(over))).toMatch(why);
  });

  it('reads who made the live state from each snapshot shape', () => {
    // shell, http, OpenTofu: the snapshot is the record.
    expect(liveOwner({ ...live, detail: record })).toBe('dep-1');
    // kubectl, Helm: the record beside what was read from the world.
    expect(liveOwner({ ...live, detail: { objects: [], record } })).toBe('dep-1');
    expect(liveOwner({ ...live, detail: { release: 'r', revision: 3 } })).toBeUndefined();
    // The simulated cloud: its own owner field.
    expect(liveOwner({ ...live, detail: { deploymentId: 'dep-7' } })).toBe('dep-7');
  });
});

describe('configHash', () => {
  const base = { name: 'db', type: 'terraform', executor: 'shell', version: 'v1' };
  const hashOf = (config: unknown, dir = '/m') => configHash(testContext({ ...base, config }).service, dir);

  it('ignores key order and what does not reach the world, and sees what does', () => {
    expect(hashOf({ a: 1, b: { c: 2, d: 3 } })).toBe(hashOf({ b: { d: 3, c: 2 }, a: 1 }));
    expect(configHash(testContext({ ...base, config: { a: 1 }, timeout: '1m', retry: { max_attempts: 9 } }).service, '/m')).toBe(hashOf({ a: 1 }));
    expect(hashOf({ a: 1 })).not.toBe(hashOf({ a: 2 }));
    expect(hashOf({ a: [1, 2] })).not.toBe(hashOf({ a: [2, 1] }));
    // Config paths are relative to the manifest's directory.
    expect(hashOf({ module: './db' }, '/m')).not.toBe(hashOf({ module: './db' }, '/n'));
    expect(configHash(testContext({ ...base, executor: 'simulated', simulate: { duration: '1s' } }).service, '/m')).not.toBe(
      configHash(testContext({ ...base, executor: 'simulated', simulate: { duration: '2s' } }).service, '/m'),
    );
  });

  it('hashes a secret reference, never its value', () => {
    const ref = { password: { secret: 'env:DB_PASSWORD' } };
    const before = hashOf(ref);
    process.env.DB_PASSWORD = 'rotated';
    try {
      expect(hashOf(ref)).toBe(before);
    } finally {
      delete process.env.DB_PASSWORD;
    }
    expect(hashOf({ password: { secret: 'env:OTHER_PASSWORD' } })).not.toBe(before);
  });
});

describe('applyUnlessUnchanged against a simulated cloud', () => {
  let sim: Awaited<ReturnType<typeof startSimCloud>>;
  let dir: string;
  let cloud: SimCloudClient;
  let store: FileStateStore;
  let executor: Executor;
  beforeAll(async () => {
    dir = tempDir('unchanged');
    sim = await startSimCloud({ port: 0 });
    cloud = new SimCloudClient(sim.url);
    store = new FileStateStore(path.join(dir, 'state'));
    executor = simulatedExecutor.create({ simCloudUrl: sim.url, dataDir: dir, serviceState: store, env: process.env });
  });
  afterAll(async () => {
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const deps = (over: { executor?: Executor; scoped?: boolean } = {}) => ({
    executor: over.executor ?? executor,
    store,
    attempt: 1,
    scoped: over.scoped ?? true,
  });
  /** How the deployment ended, as the workflow records it once it is over. */
  const ended = (deploymentId: string, services: Record<string, string>) =>
    store.saveDeploymentRecord({
      deploymentId,
      workflowId: 'deploy-test.prod',
      name: 'test',
      environment: 'prod',
      phase: 'SUCCEEDED',
      startedAt: new Date().toISOString(),
      endedAt: new Date().toISOString(),
      services: Object.fromEntries(Object.entries(services).map(([name, state]) => [name, { state }])),
      orphans: [],
      retained: [],
    });
  /** One service's apply in its own deployment, which then ends with the service SUCCEEDED (or `state`). */
  const run = async (deploymentId: string, service: Record<string, unknown>, over: Parameters<typeof deps>[0] & { state?: string } = {}) => {
    const ctx = testContext({ type: 'shell', executor: 'simulated', simulate: { duration: '1ms' }, ...service }, { deployment: { id: deploymentId, environment: 'prod' } });
    const outcome = await applyUnlessUnchanged(ctx, deps(over));
    await ended(deploymentId, { [ctx.service.name]: over.state ?? (outcome.outcome === 'unchanged' ? 'UNCHANGED' : 'SUCCEEDED') });
    return outcome;
  };
  const applies = async (service: string, deploymentId: string) =>
    (await cloud.calls({ service, op: 'apply' })).filter((c) => c.deploymentId === deploymentId).length;

  it('applies once, then finds the same version and config unchanged: no mutating call, no intent', async () => {
    const first = await run('dep-a1', { name: 'api', version: 'v1', config: { replicas: 2 } });
    expect(first.outcome).toBe('created');
    const record = await store.getServiceState({ name: 'test', environment: 'prod', service: 'api' });
    expect(record).toMatchObject({ deploymentId: 'dep-a1', executor: 'simulated', version: 'v1' });
    expect(appliedConfigHash(record)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await store.listIntents('dep-a1')).toEqual([expect.objectContaining({ step: 'apply', status: 'confirmed', outcome: 'created' })]);

    const again = await run('dep-a2', { name: 'api', version: 'v1', config: { replicas: 2 } });
    expect(again).toEqual({ outcome: 'unchanged', version: 'v1', outputs: first.outputs, resources: first.resources });
    expect(await applies('api', 'dep-a2')).toBe(0);
    expect(await store.listIntents('dep-a2')).toEqual([]);
    // The record still describes what runs: the deployment that made it.
    expect((await store.getServiceState({ name: 'test', environment: 'prod', service: 'api' }))?.deploymentId).toBe('dep-a1');
  });

  it('applies a new version, and a changed config at the same version', async () => {
    await run('dep-b1', { name: 'web', version: 'v1', config: { replicas: 2 } });
    expect((await run('dep-b2', { name: 'web', version: 'v2', config: { replicas: 2 } })).outcome).toBe('updated');
    expect((await run('dep-b3', { name: 'web', version: 'v2', config: { replicas: 3 } })).outcome).toBe('updated');
    expect((await run('dep-b4', { name: 'web', version: 'v2', config: { replicas: 3 } })).outcome).toBe('unchanged');
    expect([await applies('web', 'dep-b2'), await applies('web', 'dep-b3'), await applies('web', 'dep-b4')]).toEqual([1, 1, 0]);
  });

  it('always applies a service with no version, or a step that names no environment', async () => {
    await run('dep-c1', { name: 'job', config: {} });
    expect((await run('dep-c2', { name: 'job', config: {} })).outcome).toBe('updated');
    await run('dep-c3', { name: 'svc', version: 'v1' });
    expect((await run('dep-c4', { name: 'svc', version: 'v1' }, { scoped: false })).outcome).toBe('updated');
  });

  it('applies again what failed after its record was written (its deployment did not roll it back)', async () => {
    await run('dep-h1', { name: 'worker', version: 'v1' }, { state: 'FAILED' });
    expect((await run('dep-h2', { name: 'worker', version: 'v1' })).outcome).toBe('updated');
    expect((await run('dep-h3', { name: 'worker', version: 'v1' })).outcome).toBe('unchanged');
  });

  it('a re-run of the same step reports what its first run did, not unchanged', async () => {
    await run('dep-d1', { name: 'queue', version: 'v1' });
    expect((await run('dep-d1', { name: 'queue', version: 'v1' })).outcome).toBe('repeat');
  });

  it('applies when the live state is not what the record describes (changed behind its back)', async () => {
    await run('dep-e1', { name: 'cache', version: 'v1' });
    // Another environment's deployment of a service with the same name replaces it in the cloud.
    await applyUnlessUnchanged(
      testContext({ name: 'cache', type: 'shell', executor: 'simulated', version: 'v1' }, { deployment: { id: 'dep-x', environment: 'staging' } }),
      deps(),
    );
    expect((await run('dep-e2', { name: 'cache', version: 'v1' })).outcome).toBe('updated');
    expect(await applies('cache', 'dep-e2')).toBe(1);
  });

  it('applies when the live state cannot be read (and says why in the log)', async () => {
    await run('dep-f1', { name: 'search', version: 'v1' });
    const blind: Executor = { ...executor, snapshot: () => Promise.reject(new Error('cloud unreachable')) };
    const logs: string[] = [];
    const ctx = testContext({ name: 'search', type: 'shell', executor: 'simulated', version: 'v1' }, { deployment: { id: 'dep-f2', environment: 'prod' } });
    const outcome = await applyUnlessUnchanged({ ...ctx, log: (m) => logs.push(m) }, deps({ executor: blind }));
    expect(outcome.outcome).toBe('updated');
    expect(logs).toContain('apply search: applying (cannot read its live state (cloud unreachable))');
  });

  it('leaves a record its executor keeps alone, and never writes over another executor\'s', async () => {
    const key = { name: 'test', environment: 'prod', service: 'billing' };
    const theirs: ServiceStateRecord = { deploymentId: 'dep-old', executor: 'opentofu', version: 'v0', outputs: {}, resources: [], savedAt: 'then' };
    await store.saveServiceState(key, theirs);
    await run('dep-g1', { name: 'billing', version: 'v1' });
    expect(await store.getServiceState(key)).toEqual(theirs);
    // An executor that writes its own record (through appliedRecord) keeps it as written.
    await store.deleteServiceState(key);
    const own: Executor = {
      ...executor,
      async apply(ctx) {
        const outcome = await executor.apply(ctx);
        await store.saveServiceState(key, { ...theirs, executor: 'simulated', deploymentId: ctx.deploymentId, detail: { idempotencyKey: ctx.idempotencyKey, outcome: 'created', mine: true } });
        return outcome;
      },
    };
    await run('dep-g2', { name: 'billing', version: 'v2' }, { executor: own });
    expect((await store.getServiceState(key))?.detail).toMatchObject({ mine: true });
  });
});
