/** The record rules every executor shares: config errors, the outcome of a re-run, snapshot and restore. */
import { z } from 'zod';
import type { ServiceStateRecord } from '../state/types';
import { PermanentDeployError } from './errors';
import { applyOutcome, appliedRecord, parseConfig, restoredRecord, snapshotOf, stateKey, UNKNOWN_DEPLOYMENT } from './service-record';
import { testContext } from './testing';

const schema = z.strictObject({ run: z.array(z.string()).min(1), env: z.record(z.string(), z.string()).default({}) });
const entry = (config: unknown) => ({ name: 'api', type: 'shell', version: 'v2', config });

describe('service record', () => {
  it('keys the record by deployment name, environment and service, whichever deployment it is', () => {
    const ctx = testContext(entry({ run: ['x'] }), { deployment: { id: 'dep-9', name: 'shop', environment: 'prod' } });
    expect(stateKey(ctx)).toEqual({ name: 'shop', environment: 'prod', service: 'api' });
  });

  it('parses config with defaults, or fails permanently naming every bad field', () => {
    expect(parseConfig(testContext(entry({ run: ['x'] })).service, 'shell', schema)).toEqual({ run: ['x'], env: {} });
    const bad = testContext(entry({ run: [], env: { A: 1 } })).service;
    expect(() => parseConfig(bad, 'shell', schema)).toThrow(PermanentDeployError);
    expect(() => parseConfig(bad, 'shell', schema)).toThrow(/^api has no valid shell config: config\.run: .+; config\.env\.A: .+$/);
  });

  it('reports a re-run of the same step as its first run, and any other run as found', () => {
    const first = testContext(entry({ run: ['x'] }), { deployment: { id: 'dep-1' } });
    const record = appliedRecord(first, 'shell', { version: 'v2', outputs: {}, resources: [] }, 'created', { status: 201 });
    expect(record).toMatchObject({ deploymentId: 'dep-1', executor: 'shell', detail: { status: 201, idempotencyKey: 'dep-1:api:apply', outcome: 'created' } });
    expect(applyOutcome(record, first, 'updated')).toBe('created');
    expect(applyOutcome(record, testContext(entry({ run: ['x'] }), { deployment: { id: 'dep-2' } }), 'updated')).toBe('updated');
    expect(applyOutcome(undefined, first, 'created')).toBe('created');
    // A record written before apply kept its step (or by another executor): the run is judged afresh.
    expect(applyOutcome({ ...record, detail: { outcome: 'created' } }, first, 'updated')).toBe('updated');
  });

  describe('restore', () => {
    const saved: ServiceStateRecord = {
      deploymentId: 'dep-1',
      executor: 'shell',
      version: 'v1',
      outputs: { url: 'https://v1' },
      resources: [{ id: 'r-1', kind: 'resource' }],
      detail: { idempotencyKey: 'dep-1:api:apply', outcome: 'created' },
      savedAt: '2026-01-01T00:00:00.000Z',
    };

    it('writes back the record the snapshot read, as it was', () => {
      expect(restoredRecord(snapshotOf(saved)!, 'shell')).toEqual(saved);
      expect(snapshotOf(undefined)).toBeNull();
    });

    it('keeps what the executor observed after restoring', () => {
      const observed = { outputs: { url: 'https://v1-drifted' }, resources: [] };
      expect(restoredRecord(snapshotOf(saved)!, 'shell', observed)).toEqual({ ...saved, ...observed });
    });

    it('never gives a restored record to the deployment being rolled back: without a record, its owner is unknown', () => {
      const foreign = { version: 'v1', outputs: {}, resources: [{ id: 'r-1', kind: 'vm' }], detail: { snapshot: 'abc' } };
      expect(restoredRecord(foreign, 'http')).toEqual({
        deploymentId: UNKNOWN_DEPLOYMENT,
        executor: 'http',
        version: 'v1',
        outputs: {},
        resources: [{ id: 'r-1', kind: 'vm' }],
        detail: { snapshot: 'abc' },
        savedAt: expect.any(String),
      });
    });
  });
});
