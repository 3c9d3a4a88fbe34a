/**
 * compensateService (MockActivityEnvironment): it restores from the rollback manifest, and it
 * refuses — permanently, so the rollback blocks for a person — rather than guess when the
 * manifest is missing, since restoring "nothing" would delete what existed before.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { configSchema, serviceSchema } from '../manifest/schema';
import { testDependencies } from '../executors/testing';
import { ExecutorRegistry } from '../executors/registry';
import type { CompensationAction, Executor, ExecutorFactory, PreviousState } from '../executors/types';
import { FileStateStore } from '../state';
import { createActivities } from '.';

const seen: Array<{ action: CompensationAction; previous: PreviousState | null }> = [];
const recording: ExecutorFactory = {
  name: 'simulated',
  description: 'records compensations',
  configSchema: configSchema,
  examples: [],
  create: (): Executor => ({
    apply: async () => ({ outcome: 'created', version: null, outputs: {}, resources: [] }),
    verify: async () => ({ healthy: true }),
    snapshot: async () => null,
    inventory: async () => ({ items: [] }),
    compensate: async (_ctx, action, previous) => {
      seen.push({ action, previous });
      return { action, outcome: action === 'restore' ? 'restored' : 'deleted', resources: [] };
    },
  }),
};

describe('compensateService', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-compensate-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const store = new FileStateStore(dir);
  const activities = createActivities({ executors: new ExecutorRegistry(testDependencies(dir), [recording]), store });
  const service = serviceSchema.parse({ name: 'api', type: 'kubernetes', executor: 'simulated' });
  const input = (deploymentId: string, action: CompensationAction) => ({
    deploymentId,
    service,
    action,
    idempotencyKey: `${deploymentId}:api:compensate`,
  });

  it('restores the previous state recorded in the rollback manifest, and records intent then confirmation', async () => {
    const previous: PreviousState = { version: 'v1', outputs: {}, resources: [{ id: 'deployment-1', kind: 'deployment' }] };
    await store.saveRollbackManifest({
      deploymentId: 'dep-a',
      name: 'shop',
      environment: 'test',
      createdAt: new Date().toISOString(),
      services: { api: { executor: 'simulated', previous } },
    });
    const result = (await new MockActivityEnvironment().run(activities.compensateService, input('dep-a', 'restore'))) as { outcome: string };
    expect(result.outcome).toBe('restored');
    expect(seen.at(-1)).toEqual({ action: 'restore', previous });
    expect(await store.listIntents('dep-a')).toEqual([
      expect.objectContaining({ step: 'compensate', status: 'confirmed', outcome: 'restored' }),
    ]);
  });

  it('refuses to restore without a rollback manifest (non-retryable), touching nothing', async () => {
    const before = seen.length;
    const err = await new MockActivityEnvironment().run(activities.compensateService, input('dep-missing', 'restore')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'PermanentDeployError', nonRetryable: true });
    expect((err as Error).message).toMatch(/cannot restore api: its previous state is not in the rollback manifest/);
    expect(seen.length).toBe(before);
  });
});
