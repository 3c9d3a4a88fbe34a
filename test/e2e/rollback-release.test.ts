/**
 * Rolling back a release that already ended (`tugboat rollback <id>` on a finished deployment),
 * on a real server: v1 then v2 deployed, v2 rolled back → the cloud runs v1 again, compensated in
 * reverse dependency order under v2's own idempotency keys, and the rollback leaves a record of
 * its own. Rolling back v1 while v2 exists is refused (NewerDeploymentError) unless forced; so is
 * a rollback while a deployment holds the environment's lock, a second rollback of the same
 * release, and one whose rollback manifest predates specs.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { TUGBOAT_PHASE } from '../../src/api/search-attributes';
import { cancelUpdate, continueRollbackUpdate, progressQuery } from '../../src/api/messages';
import { planRollbackRelease, RollbackRefusal } from '../../src/activities/rollback-release';
import { EnvironmentLockedError } from '../../src/client/errors';
import { RequestRefusedError } from '../../src/client/operations';
import { NewerDeploymentError, rollbackFinishedDeployment } from '../../src/client/rollback-release';
import { serviceSchema, type ServiceInput } from '../../src/manifest/schema';
import { FileStateStore, type DeploymentRecord, type RollbackManifest } from '../../src/state';
import type { CallRecord } from '../../src/simcloud';
import { useWorld, waitForProgress } from '../support/world';

const SECRET_ENV = `TUGBOAT_RR_SECRET_${crypto.randomBytes(3).toString('hex').toUpperCase()}`;
const SECRET_VALUE = `rr-${crypto.randomBytes(12).toString('hex')}`;

/** net ← db ← api, each at `version`; db's config holds a secret reference. */
const release = (version: string): ServiceInput[] => [
  { name: 'net', type: 'terraform', version, simulate: { duration: '10ms' } },
  { name: 'db', type: 'terraform', version, dependencies: ['net'], config: { password: { secret: `env:${SECRET_ENV}` } }, simulate: { duration: '10ms' } },
  { name: 'api', type: 'kubernetes', version, dependencies: ['db'], simulate: { duration: '10ms' } },
];
const NAMES = ['net', 'db', 'api'];

// The workers of this file resolve db's secret reference from the process environment.
beforeAll(() => {
  process.env[SECRET_ENV] = SECRET_VALUE;
});
afterAll(() => {
  delete process.env[SECRET_ENV];
});

/** Each compensation of `deploymentId` completed before the one of what it depends on started. */
function expectUndoneInReverse(calls: CallRecord[], deploymentId: string): void {
  const of = (service: string) => calls.find((c) => c.op === 'compensate' && c.deploymentId === deploymentId && c.service === service && c.completedSeq);
  for (const name of NAMES) expect(of(name)).toBeDefined();
  expect(of('api')!.completedSeq!).toBeLessThan(of('db')!.seq);
  expect(of('db')!.completedSeq!).toBeLessThan(of('net')!.seq);
}

describe('rollback of a finished release', () => {
  const world = useWorld('rollback-release');
  let store: FileStateStore;
  const ids: Record<string, string> = {};
  beforeAll(() => {
    store = new FileStateStore(path.join(world.stateDir, 'state'));
  });
  const versions = async () => Object.fromEntries(await Promise.all(NAMES.map(async (n) => [n, (await world.cloud.getService(n))?.version ?? null])));
  const rollback = (ref: string, opts: { force?: boolean; reason?: string } = {}) =>
    rollbackFinishedDeployment(world.client, ref, { ...opts, by: 'tester@e2e', store, taskQueue: world.taskQueue });

  it('rolls v2 back to v1: reverse dependency order, ROLLED_BACK, a record of its own', async () => {
    for (const version of ['v1', 'v2']) {
      const { handle, deploymentId } = await world.deploy(world.manifest(release(version)));
      expect((await handle.result()).phase).toBe('SUCCEEDED');
      ids[version] = deploymentId;
    }
    expect(await versions()).toEqual({ net: 'v2', db: 'v2', api: 'v2' });
    // The rollback manifest keeps each spec with its secret reference, never the value.
    const manifestText = fs.readFileSync(path.join(world.stateDir, 'state', 'deployments', ids.v2, 'rollback-manifest.json'), 'utf8');
    expect(manifestText).not.toContain(SECRET_VALUE);
    expect((JSON.parse(manifestText) as RollbackManifest).services.db.spec?.config).toEqual({ password: { secret: `env:${SECRET_ENV}` } });

    const started = await rollback(ids.v2, { reason: 'v2 is slow' });
    expect(started.workflowId).toBe(`deploy-${world.name}.test`);
    expect(started.message).toContain(`rolling back ${ids.v2}`);
    expect(started.message).toMatch(/api → restored to v1/);
    const result = await started.handle.result();
    expect(result.phase).toBe('ROLLED_BACK');
    expect(result.deploymentId).toBe(started.rollbackDeploymentId);
    for (const name of NAMES) expect(result.services[name].state).toBe('ROLLED_BACK');
    expect(result.rollback).toMatchObject({ state: 'DONE', trigger: 'rollback', order: ['api', 'db', 'net'] });
    expect(result.rollback?.reason).toMatch(new RegExp(`rollback of ${ids.v2} \\(ended SUCCEEDED\\) requested by tester@e2e: v2 is slow`));
    expect(result.orphans).toEqual([]);

    // The cloud runs v1 again, put back by compensations under v2's own keys.
    expect(await versions()).toEqual({ net: 'v1', db: 'v1', api: 'v1' });
    const calls = await world.cloud.calls();
    expectUndoneInReverse(calls, ids.v2);
    const compensations = calls.filter((c) => c.op === 'compensate');
    expect(compensations.map((c) => c.idempotencyKey).sort()).toEqual(NAMES.map((n) => `${ids.v2}:${n}:compensate`).sort());
    expect(compensations.every((c) => c.outcome === 'restored')).toBe(true);

    // status / watch read the same progress query; list reads the phase search attribute.
    const progress = await started.handle.query(progressQuery);
    expect(progress).toMatchObject({ deploymentId: started.rollbackDeploymentId, phase: 'ROLLED_BACK', name: world.name, environment: 'test' });
    expect(progress.services.api.version).toBe('v1');
    expect((await started.handle.describe()).typedSearchAttributes.get(TUGBOAT_PHASE)).toBe('ROLLED_BACK');

    const record = await store.getDeploymentRecord(started.rollbackDeploymentId);
    expect(record).toMatchObject({ phase: 'ROLLED_BACK', requestedBy: 'tester@e2e', workflowId: started.workflowId });
    expect(record?.services).toEqual({
      net: { state: 'ROLLED_BACK', version: 'v1' },
      db: { state: 'ROLLED_BACK', version: 'v1' },
      api: { state: 'ROLLED_BACK', version: 'v1' },
    });
    const history = await store.listDeploymentRecords({ name: world.name, environment: 'test' });
    expect(history.map((r) => r.deploymentId)).toEqual([started.rollbackDeploymentId, ids.v2, ids.v1]);
    ids.rollback = started.rollbackDeploymentId;
  });

  it('refuses to roll back v1 while newer deployments exist, and a release or rollback already undone', async () => {
    const err = await rollback(ids.v1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NewerDeploymentError);
    expect(err).toBeInstanceOf(RequestRefusedError);
    expect((err as NewerDeploymentError).newer).toEqual([ids.rollback, ids.v2]);
    expect((err as Error).message).toContain(`came after ${ids.v1}: ${ids.rollback} (ROLLED_BACK, started `);
    expect((err as Error).message).toContain(`${ids.v2} (SUCCEEDED, started `);
    expect((err as Error).message).toContain(`pass --force to roll back ${ids.v1} anyway`);
    // <name>/<environment> is its last deployment: the rollback itself, which has nothing to undo.
    await expect(rollback(`${world.name}/test`)).rejects.toThrow(new RegExp(`${ids.rollback} ended ROLLED_BACK: nothing to roll back`));
    // v2 again, even forced: its compensations are done, a rerun would answer "repeat" and change nothing.
    await expect(rollback(ids.v2, { force: true })).rejects.toThrow(new RegExp(`${ids.v2} was already rolled back`));
    // Nothing was started by any refusal.
    expect((await world.cloud.calls()).filter((c) => c.op === 'compensate')).toHaveLength(3);
  });

  it('waits for the environment lock: refused while a deployment runs', async () => {
    const v3 = await world.startHeld('net', 'apply', () => world.deploy(world.manifest(release('v3'))));
    try {
      await expect(rollback(ids.v1, { force: true })).rejects.toBeInstanceOf(EnvironmentLockedError);
    } finally {
      await world.cloud.release('net', 'apply');
    }
    expect((await v3.handle.result()).phase).toBe('SUCCEEDED');
    ids.v3 = v3.deploymentId;
  });

  it('with --force rolls v1 back anyway: what did not exist before it is removed', async () => {
    expect(await versions()).toEqual({ net: 'v3', db: 'v3', api: 'v3' });
    const started = await rollback(ids.v1, { force: true });
    expect(started.message).toContain(`--force: ${ids.v3}, ${ids.rollback}, ${ids.v2} came after it`);
    const result = await started.handle.result();
    expect(result.phase).toBe('ROLLED_BACK');
    expect(await versions()).toEqual({ net: null, db: null, api: null });
    expect((await world.cloud.resources()).filter((r) => NAMES.includes(r.service))).toEqual([]);
    expectUndoneInReverse(await world.cloud.calls(), ids.v1);
    expect((await store.getDeploymentRecord(started.rollbackDeploymentId))?.phase).toBe('ROLLED_BACK');
  });
});

describe('a finished release rollback whose compensation fails', () => {
  const world = useWorld('rollback-release-blocked');

  it('parks in ROLLBACK_BLOCKED holding the lock, and continue_rollback --retry finishes it', async () => {
    const store = new FileStateStore(path.join(world.stateDir, 'state'));
    const services = (version: string): ServiceInput[] =>
      release(version).map((s) => ({ ...s, rollback_retry: { max_attempts: 1, initial_interval: '50ms' } }));
    const ids: string[] = [];
    for (const version of ['v1', 'v2']) {
      const { handle, deploymentId } = await world.deploy(world.manifest(services(version)));
      expect((await handle.result()).phase).toBe('SUCCEEDED');
      ids.push(deploymentId);
    }
    await world.cloud.setOverride('db', { fail_compensation: true });
    const started = await rollbackFinishedDeployment(world.client, ids[1], { store, taskQueue: world.taskQueue, by: 'tester@e2e' });
    const blocked = await waitForProgress(started.handle, (p) => p.phase === 'ROLLBACK_BLOCKED', 'the rollback to block on db');
    expect(blocked.rollback?.blocked.map((b) => b.service)).toEqual(['db']);
    expect(blocked.services.api.state).toBe('ROLLED_BACK');
    expect(blocked.services.net.state).toBe('PENDING');
    // The environment stays locked: a deployment is refused meanwhile; cancel is refused with the reason.
    await expect(world.deploy(world.manifest(services('v3')))).rejects.toBeInstanceOf(EnvironmentLockedError);
    const refused = await started.handle.executeUpdate(cancelUpdate, { args: [{ by: 'tester@e2e' }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause?.message).toMatch(/a rollback was already accepted/);

    await world.cloud.clearOverride('db');
    const answer = await started.handle.executeUpdate(continueRollbackUpdate, { args: [{ retry: true, by: 'tester@e2e' }] });
    expect(answer.message).toBe('retrying the blocked compensations');
    const result = await started.handle.result();
    expect(result.phase).toBe('ROLLED_BACK');
    expect(result.rollback?.order).toEqual(['api', 'db', 'net']);
    expect(Object.fromEntries(await Promise.all(NAMES.map(async (n) => [n, (await world.cloud.getService(n))?.version])))).toEqual({ net: 'v1', db: 'v1', api: 'v1' });
    expect((await store.getDeploymentRecord(started.rollbackDeploymentId))?.phase).toBe('ROLLED_BACK');
  });
});

describe('what a finished release rollback undoes (planRollbackRelease)', () => {
  const record = (over: Partial<DeploymentRecord> = {}): DeploymentRecord => ({
    deploymentId: 'dep-x',
    workflowId: 'deploy-shop.prod',
    name: 'shop',
    environment: 'prod',
    phase: 'PARTIAL',
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:01:00.000Z',
    services: { net: { state: 'SUCCEEDED' }, db: { state: 'UNCHANGED' }, api: { state: 'FAILED' }, web: { state: 'SKIPPED' } },
    orphans: [],
    retained: [],
    ...over,
  });
  const spec = (name: string, dependencies: string[] = []) => serviceSchema.parse({ name, type: 'shell', dependencies });
  const manifest = (withSpecs = true): RollbackManifest => ({
    deploymentId: 'dep-x',
    name: 'shop',
    environment: 'prod',
    createdAt: '2026-01-01T00:00:00.000Z',
    services: Object.fromEntries(
      [
        ['net', []],
        ['db', ['net']],
        ['api', ['db']],
        ['web', ['api']],
      ].map(([n, deps]) => [
        n as string,
        { executor: 'shell', previous: n === 'net' ? null : { version: 'v0', outputs: {}, resources: [] }, ...(withSpecs ? { spec: spec(n as string, deps as string[]) } : {}) },
      ]),
    ),
  });

  it('undoes only what the release left changed (SUCCEEDED, UNCHANGED), in dependency order', () => {
    const plan = planRollbackRelease('dep-x', { record: record(), manifest: manifest(), intents: [] }, '/state');
    expect(plan.manifest.deployment.services.map((s) => s.name)).toEqual(['net', 'db']);
    expect(plan.plan.order).toEqual(['net', 'db']);
    expect(plan.previous).toEqual({ net: 'absent', db: 'present at v0' });
    expect(plan.previousVersions).toEqual({ net: null, db: 'v0' });
  });

  it('refuses with the reason: no record, wrong phase, no manifest, a manifest without specs', () => {
    const refused = (found: Parameters<typeof planRollbackRelease>[1]) => {
      try {
        planRollbackRelease('dep-x', found, '/state');
      } catch (err) {
        expect(err).toBeInstanceOf(RollbackRefusal);
        return (err as Error).message;
      }
      throw new Error('not refused');
    };
    expect(refused({ intents: [], manifest: manifest() })).toMatch(/no deployment record of dep-x in \/state: it has not ended yet/);
    expect(refused({ record: record({ phase: 'FAILED' }), manifest: manifest(), intents: [] })).toMatch(/dep-x ended FAILED: nothing to roll back/);
    expect(refused({ record: record(), intents: [] })).toMatch(/no rollback manifest of dep-x in \/state/);
    expect(refused({ record: record(), manifest: manifest(false), intents: [] })).toMatch(
      /the rollback manifest of dep-x has no spec for net, db \(it was written by a Tugboat from before rollbacks of finished releases\)/,
    );
  });
});
