/**
 * The state store contract, run against every backend: files (one machine) and PostgreSQL
 * (several). Each test gets fresh storage — a temp directory, or a schema of its own — and may
 * open several store instances on it, as several worker processes would.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProviderHealth } from '../../src/api/resilience';
import { FileStateStore, PgStateStore, type DeploymentRecord, type RollbackManifest, type ServiceStateRecord, type StateStore } from '../../src/state';
import { dropSchemas, testTarget, uniqueSchema } from '../support/postgres';

interface Storage {
  /** A new store instance on this test's storage (another "process"). */
  open(): Promise<StateStore>;
  remove(): Promise<void>;
}

const backends: Array<{ name: string; storage: () => Storage }> = [
  {
    name: 'file',
    storage: () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-contract-'));
      return { open: async () => new FileStateStore(dir), remove: async () => fs.rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgres',
    storage: () => {
      const schema = uniqueSchema();
      return { open: () => PgStateStore.open(testTarget(schema)), remove: () => dropSchemas(schema) };
    },
  },
];

const record = (deploymentId: string, startedAt: string, environment = 'prod'): DeploymentRecord => ({
  deploymentId,
  workflowId: `wf-${deploymentId}`,
  name: 'shop',
  environment,
  phase: 'SUCCEEDED',
  startedAt,
  endedAt: startedAt,
  services: { api: { state: 'SUCCEEDED', version: '1.0.0' } },
  orphans: [],
  retained: [],
});

const health = (provider: string, calls: number): ProviderHealth => ({
  provider,
  breaker: { state: 'closed', consecutiveFailures: 0 },
  budget: { windowStart: '2025-01-01T00:00:00.000Z', calls, retries: 0, delayed: 0 },
  updatedAt: '2025-01-01T00:00:00.000Z',
});

/** A document with every NUL (in strings and keys) as U+FFFD: what both backends' read-backs are compared by. */
function same(value: unknown): unknown {
  const text = (s: string) => s.replaceAll('\0', '\uFFFD');
  if (typeof value === 'string') return text(value);
  if (Array.isArray(value)) return value.map(same);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [text(k), same(v)]));
  return value;
}

const intent = (deploymentId: string, service: string) => ({
  idempotencyKey: `${deploymentId}:${service}:apply`,
  deploymentId,
  service,
  step: 'apply',
  attempt: 1,
});

describe.each(backends)('$name state store', (backend) => {
  let storage: Storage;
  const opened: StateStore[] = [];
  const open = async () => {
    const store = await storage.open();
    opened.push(store);
    return store;
  };

  beforeEach(() => {
    storage = backend.storage();
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await storage.remove();
  });

  it('keeps service state per name, environment and service: save, replace, delete', async () => {
    const store = await open();
    const key = { name: 'shop', environment: 'prod', service: 'api' };
    const first: ServiceStateRecord = {
      deploymentId: 'dep-1',
      executor: 'simulated',
      version: '1.0.0',
      outputs: { url: 'http://api' },
      resources: [{ id: 'api-1', kind: 'service' }],
      detail: { nested: [1, { a: 'b' }] },
      savedAt: '2025-01-01T00:00:00.000Z',
    };
    expect(await store.getServiceState(key)).toBeUndefined();
    await store.saveServiceState(key, first);
    expect(await store.getServiceState(key)).toEqual(first);
    expect(await store.getServiceState({ ...key, environment: 'staging' })).toBeUndefined();
    const second = { ...first, deploymentId: 'dep-2', version: null, resources: [] };
    await store.saveServiceState(key, second);
    expect(await (await open()).getServiceState(key)).toEqual(second);
    await store.deleteServiceState(key);
    expect(await store.getServiceState(key)).toBeUndefined();
    await expect(store.deleteServiceState(key)).resolves.toBeUndefined();
  });

  it('stores a rollback manifest and reads it back from another instance', async () => {
    const manifest: RollbackManifest = {
      deploymentId: 'dep-rb',
      name: 'shop',
      environment: 'prod',
      createdAt: '2025-01-01T00:00:00.000Z',
      services: {
        api: { executor: 'simulated', previous: { version: '1.0.0', outputs: {}, resources: [{ id: 'api-1', kind: 'service' }] } },
        db: { executor: 'simulated', previous: null },
      },
      baseDir: '/srv/manifests',
    };
    const location = await (await open()).saveRollbackManifest(manifest);
    expect(location).toContain('dep-rb');
    expect(await (await open()).getRollbackManifest('dep-rb')).toEqual(manifest);
    expect(await (await open()).getRollbackManifest('dep-none')).toBeUndefined();
  });

  it('ledger: an intent is confirmed once; a retry keeps the confirmation; the first confirmation stands', async () => {
    const store = await open();
    await store.recordIntent(intent('dep-l', 'api'));
    const [recorded] = await store.listIntents('dep-l');
    expect(recorded).toEqual({ ...intent('dep-l', 'api'), status: 'intent', recordedAt: expect.any(String) });

    // A retry before confirmation records the new attempt.
    await store.recordIntent({ ...intent('dep-l', 'api'), attempt: 2 });
    expect(await store.listIntents('dep-l')).toEqual([expect.objectContaining({ attempt: 2, status: 'intent' })]);

    await store.confirmIntent('dep-l:api:apply', 'dep-l', { resources: [{ id: 'api-1', kind: 'service' }], outcome: 'created' });
    const confirmed = (await store.listIntents('dep-l'))[0];
    expect(confirmed).toEqual({
      ...intent('dep-l', 'api'),
      attempt: 2,
      status: 'confirmed',
      recordedAt: expect.any(String),
      confirmedAt: expect.any(String),
      resources: [{ id: 'api-1', kind: 'service' }],
      outcome: 'created',
    });

    // A retry of the confirmed step (recordIntent again) keeps the confirmation.
    await store.recordIntent({ ...intent('dep-l', 'api'), attempt: 3 });
    // Confirming again changes nothing: the first confirmation is the record of what happened.
    await store.confirmIntent('dep-l:api:apply', 'dep-l', { resources: [], outcome: 'repeat' });
    expect(await (await open()).listIntents('dep-l')).toEqual([confirmed]);
  });

  it('ledger: confirming a step with no recorded intent is an error', async () => {
    const store = await open();
    await expect(store.confirmIntent('dep-x:api:apply', 'dep-x', { outcome: 'created' })).rejects.toThrow(/no intent recorded for dep-x:api:apply/);
    expect(await store.listIntents('dep-x')).toEqual([]);
  });

  it('ledger: lists one deployment\'s entries in the order they were recorded', async () => {
    const store = await open();
    for (const service of ['db', 'api', 'web']) {
      await store.recordIntent(intent('dep-o', service));
      // recordedAt has millisecond resolution: keep the three apart.
      const since = Date.now();
      while (Date.now() === since) await new Promise((resolve) => setImmediate(resolve));
    }
    await store.recordIntent(intent('dep-other', 'api'));
    expect((await store.listIntents('dep-o')).map((e) => e.service)).toEqual(['db', 'api', 'web']);
  });

  it('ledger: two workers confirming the same step at once leave one whole confirmation', async () => {
    const [a, b] = [await open(), await open()];
    const keys = Array.from({ length: 20 }, (_, i) => `svc${i}`);
    await Promise.all(keys.map((service) => a.recordIntent(intent('dep-c', service))));
    await Promise.all(
      keys.flatMap((service) => [
        a.confirmIntent(`dep-c:${service}:apply`, 'dep-c', { resources: [{ id: 'from-a', kind: 'k' }], outcome: 'by-a' }),
        b.confirmIntent(`dep-c:${service}:apply`, 'dep-c', { resources: [{ id: 'from-b', kind: 'k' }], outcome: 'by-b' }),
      ]),
    );
    const entries = await a.listIntents('dep-c');
    expect(entries).toHaveLength(keys.length);
    for (const entry of entries) {
      expect(entry.status).toBe('confirmed');
      // Never half of one and half of the other.
      expect(entry.resources).toEqual([{ id: entry.outcome === 'by-a' ? 'from-a' : 'from-b', kind: 'k' }]);
      expect(['by-a', 'by-b']).toContain(entry.outcome);
    }
  });

  it('attempts: one record per execution and attempt; recording one again replaces it', async () => {
    const store = await open();
    const key = 'dep-a:api:apply';
    const base = { idempotencyKey: key, deploymentId: 'dep-a', service: 'api', step: 'apply', endedAt: '2025-01-01T00:00:00.000Z' };
    await store.recordAttempt({ ...base, execution: 'run-1/1', attempt: 1, outcome: 'failed', message: 'boom' });
    await store.recordAttempt({ ...base, execution: 'run-1/1', attempt: 2, outcome: 'interrupted' });
    await store.recordAttempt({ ...base, execution: 'run-2/1', attempt: 1, outcome: 'failed', message: 'first' });
    await store.recordAttempt({ ...base, execution: 'run-2/1', attempt: 1, outcome: 'failed', message: 'replaced' });
    await store.recordAttempt({ ...base, idempotencyKey: 'dep-a:web:apply', service: 'web', execution: 'run-1/1', attempt: 1, outcome: 'failed' });
    const attempts = await (await open()).listAttempts('dep-a', key);
    const summary = attempts.map((a) => `${a.execution}#${a.attempt} ${a.outcome} ${a.message ?? ''}`.trim()).sort();
    expect(summary).toEqual(['run-1/1#1 failed boom', 'run-1/1#2 interrupted', 'run-2/1#1 failed replaced']);
    expect(await store.listAttempts('dep-a', 'dep-a:db:apply')).toEqual([]);
  });

  it('deployment records: by ID, and per environment newest first (ties by deployment ID)', async () => {
    const store = await open();
    const records = [
      record('dep-b', '2025-01-02T00:00:00.000Z'),
      record('dep-a', '2025-01-03T00:00:00.000Z'),
      record('dep-c', '2025-01-02T00:00:00.000Z'),
      record('dep-s', '2025-01-04T00:00:00.000Z', 'staging'),
    ];
    for (const r of records) expect(await store.saveDeploymentRecord(r)).toContain(r.deploymentId);
    // Saving again (the record of a rollback that ended later) replaces it: no duplicate.
    await store.saveDeploymentRecord({ ...records[0], phase: 'ROLLED_BACK' });
    const other = await open();
    expect(await other.getDeploymentRecord('dep-b')).toEqual({ ...records[0], phase: 'ROLLED_BACK' });
    expect(await other.getDeploymentRecord('dep-none')).toBeUndefined();
    expect((await other.listDeploymentRecords({ name: 'shop', environment: 'prod' })).map((r) => r.deploymentId)).toEqual(['dep-a', 'dep-c', 'dep-b']);
    expect((await other.listDeploymentRecords({ name: 'shop', environment: 'staging' })).map((r) => r.deploymentId)).toEqual(['dep-s']);
    expect(await other.listDeploymentRecords({ name: 'nothing', environment: 'prod' })).toEqual([]);
  });

  it('a NUL character in a message, an error or an output is stored: it reads back as itself or as U+FFFD, the rest intact', async () => {
    const store = await open();
    // A tool's stderr or a resource's attribute may hold one; JSONB refuses U+0000 itself.
    const nul = 'line 1\u0000line 2 \\u0000 stays text';
    const failed = { ...record('dep-nul', '2025-01-01T00:00:00.000Z'), phase: 'FAILED', error: nul, services: { api: { state: 'FAILED', error: nul } } };
    await store.saveDeploymentRecord(failed);
    expect(same(await (await open()).getDeploymentRecord('dep-nul'))).toEqual(same(failed));

    const attempt = {
      idempotencyKey: 'dep-nul:api:apply', deploymentId: 'dep-nul', service: 'api', step: 'apply',
      execution: 'run-1/1', attempt: 1, outcome: 'failed' as const, message: nul, endedAt: '2025-01-01T00:00:00.000Z',
    };
    await store.recordAttempt(attempt);
    expect((await store.listAttempts('dep-nul', 'dep-nul:api:apply')).map(same)).toEqual([same(attempt)]);

    const key = { name: 'shop', environment: 'prod', service: 'api' };
    const state: ServiceStateRecord = {
      deploymentId: 'dep-nul', executor: 'shell', version: null, outputs: { [`out\u0000put`]: nul }, resources: [], detail: { log: [nul] },
      savedAt: '2025-01-01T00:00:00.000Z',
    };
    await store.saveServiceState(key, state);
    const back = await store.getServiceState(key);
    expect(same(back)).toEqual(same(state));
    expect(Object.values(back!.outputs)[0]).toMatch(/^line 1(\u0000|\uFFFD)line 2 \\u0000 stays text$/);
  });

  it('provider health: updated through a function, read back, listed by provider', async () => {
    const store = await open();
    expect(await store.getProviderHealth('simulated')).toBeUndefined();
    expect(await store.listProviderHealth()).toEqual([]);
    const seen: Array<ProviderHealth | undefined> = [];
    const first = await store.updateProviderHealth('simulated', (current) => {
      seen.push(current);
      return health('simulated', 1);
    });
    expect(first).toEqual(health('simulated', 1));
    await store.updateProviderHealth('simulated', (current) => {
      seen.push(current);
      return { ...current!, budget: { ...current!.budget, calls: current!.budget.calls + 1 } };
    });
    expect(seen).toEqual([undefined, health('simulated', 1)]);
    await store.updateProviderHealth('opentofu', () => health('opentofu', 7));
    expect((await store.getProviderHealth('simulated'))?.budget.calls).toBe(2);
    expect((await (await open()).listProviderHealth()).map((h) => `${h.provider}:${h.budget.calls}`)).toEqual(['opentofu:7', 'simulated:2']);
  });

  it('provider health: an update that throws stores nothing', async () => {
    const store = await open();
    await expect(
      store.updateProviderHealth('shell', () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await store.getProviderHealth('shell')).toBeUndefined();
    expect(await store.listProviderHealth()).toEqual([]);
  });

  it('provider health: two workers updating at once lose no update', async () => {
    const [a, b] = [await open(), await open()];
    const perWorker = 25;
    const increment = (current: ProviderHealth | undefined) => {
      const now = current ?? health('kubernetes', 0);
      return { ...now, budget: { ...now.budget, calls: now.budget.calls + 1 } };
    };
    await Promise.all(
      [a, b].map(async (store) => {
        // Each worker's updates overlap with its own and the other's.
        await Promise.all(Array.from({ length: perWorker }, () => store.updateProviderHealth('kubernetes', increment)));
      }),
    );
    expect((await a.getProviderHealth('kubernetes'))?.budget.calls).toBe(2 * perWorker);
  });
});
