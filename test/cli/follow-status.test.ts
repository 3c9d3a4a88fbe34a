/**
 * Pure parts of following a deployment: how a closed deployment's status is put together from its
 * result without a query (statusFromResult), and how far apart the watcher's queries are (pollDelay).
 */
import { getEventListeners } from 'node:events';
import { defaultPayloadConverter } from '@temporalio/common';
import type { DeploymentResult } from '../../src/api/progress';
import { ExitCode, exitCodeForStatus } from '../../src/cli/exit-codes';
import { delay, pollDelay, untilAborted } from '../../src/cli/watch';
import {
  recordedFromEvents,
  statusFromResult,
  type DeploymentStatus,
  type HistoryEventLike,
  type ServiceStatus,
} from '../../src/client/status';
import type { DeploymentRecord } from '../../src/state';
import { validateManifestOrThrow } from '../../src/manifest/validate';
import { planOrThrow } from '../../src/plan';
import { deploymentStatus, serviceStatus } from '../support/status-fixtures';

const manifest = validateManifestOrThrow({
  deployment: {
    name: 'shop',
    environment: 'prod',
    services: [
      { name: 'db', type: 'shell', executor: 'simulated' },
      { name: 'api', type: 'shell', executor: 'simulated', dependencies: ['db'] },
      { name: 'web', type: 'kubernetes', executor: 'simulated', dependencies: ['api'] },
    ],
  },
});

const result: DeploymentResult = {
  deploymentId: 'dep-1',
  phase: 'SUCCEEDED',
  services: {
    db: { state: 'SUCCEEDED', outputs: { url: 'db://x' } },
    api: { state: 'SUCCEEDED', outputs: {} },
    web: { state: 'SUCCEEDED', outputs: {} },
  },
  orphans: [],
  retained: [],
};

const service = (overrides: Partial<ServiceStatus>) => serviceStatus({ provider: null, ...overrides });

/** What the last query said while it ran: db done (after a retry), api retrying, web not started. */
const lastSeen: DeploymentStatus = deploymentStatus(
  {
    db: service({
      state: 'SUCCEEDED',
      attempt: 2,
      started_at: '2026-01-01T00:00:01.000Z',
      ended_at: '2026-01-01T00:00:02.000Z',
      resources: [{ id: 'db-1', kind: 'database' }],
      steps: { apply: { attempts: 2, last_failure: 'timeout' } },
    }),
    api: service({ state: 'RETRYING', attempt: 3, last_failure: 'refused', activity: 'connecting', wave: 1, started_at: '2026-01-01T00:00:02.500Z' }),
    web: service({ type: 'kubernetes', wave: 2 }),
  },
  {
    id: 'dep-1',
    started_at: '2026-01-01T00:00:00.000Z',
    rollback_manifest: 'file:///state/dep-1/rollback-manifest.json',
    on_failure: 'rollback',
  },
);

describe('statusFromResult', () => {
  it('takes phase and service states from the result, what the result lacks from the last status seen, times and the location from the record', () => {
    const status = statusFromResult({
      workflowId: 'deploy-shop.prod',
      result,
      lastSeen,
      recorded: {
        location: '/state/dep-1/deployment.json',
        record: {
          deploymentId: 'dep-1',
          workflowId: 'deploy-shop.prod',
          name: 'shop',
          environment: 'prod',
          phase: 'SUCCEEDED',
          startedAt: '2026-01-01T00:00:00.000Z',
          endedAt: '2026-01-01T00:00:09.000Z',
          services: {
            db: { state: 'SUCCEEDED', startedAt: '2026-01-01T00:00:01.000Z', endedAt: '2026-01-01T00:00:02.000Z' },
            api: { state: 'SUCCEEDED', startedAt: '2026-01-01T00:00:02.500Z', endedAt: '2026-01-01T00:00:05.000Z' },
            web: { state: 'SUCCEEDED', startedAt: '2026-01-01T00:00:05.000Z', endedAt: '2026-01-01T00:00:08.000Z' },
          },
          orphans: [],
          retained: [],
        },
      },
      closedAt: '2026-01-01T00:00:09.500Z',
    });
    expect(status).toMatchObject({ id: 'dep-1', phase: 'SUCCEEDED', ended_at: '2026-01-01T00:00:09.000Z', record: '/state/dep-1/deployment.json' });
    expect(status.rollback_manifest).toBe(lastSeen.rollback_manifest);
    expect(Object.keys(status.services)).toEqual(['db', 'api', 'web']);
    // db: outputs from the result; its recorded steps and resources kept.
    expect(status.services.db).toMatchObject({ state: 'SUCCEEDED', outputs: { url: 'db://x' }, attempt: 2, resources: [{ id: 'db-1' }] });
    // api: was RETRYING when last seen; a live attempt is over once the workflow closed.
    expect(status.services.api).toMatchObject({ state: 'SUCCEEDED', attempt: null, last_failure: null, activity: null, ended_at: '2026-01-01T00:00:05.000Z' });
    expect(status.services.web).toMatchObject({ state: 'SUCCEEDED', type: 'kubernetes', wave: 2, started_at: '2026-01-01T00:00:05.000Z' });
  });

  it('with no status seen: names, types and waves from the start input, the end from the describe', () => {
    const failed: DeploymentResult = {
      ...result,
      phase: 'ROLLED_BACK',
      error: 'web failed',
      services: {
        db: { state: 'ROLLED_BACK', outputs: {} },
        api: { state: 'ROLLED_BACK', outputs: {} },
        web: { state: 'FAILED', outputs: {}, error: { type: 'PermanentDeployError', message: 'bad chart' } },
      },
      rollback: { state: 'DONE', trigger: 'failure', reason: 'web failed', order: ['api', 'db'], blocked: [] },
    };
    const status = statusFromResult({
      workflowId: 'deploy-shop.prod',
      result: failed,
      started: { manifest, plan: planOrThrow(manifest) },
      startedAt: '2026-01-01T00:00:00.000Z',
      closedAt: '2026-01-01T00:00:09.500Z',
    });
    expect(status).toMatchObject({
      name: 'shop',
      environment: 'prod',
      phase: 'ROLLED_BACK',
      error: 'web failed',
      started_at: '2026-01-01T00:00:00.000Z',
      ended_at: '2026-01-01T00:00:09.500Z',
      record: null,
      rollback: { state: 'DONE', order: ['api', 'db'] },
    });
    expect(status.waves).toEqual([['db'], ['api'], ['web']]);
    expect(status.services.web).toMatchObject({ state: 'FAILED', type: 'kubernetes', wave: 2, error: 'PermanentDeployError: bad chart' });
  });

  it('with neither: every service of the result in one wave, none lost', () => {
    const status = statusFromResult({ workflowId: 'w', result });
    expect(status.waves).toEqual([['db', 'api', 'web']]);
    expect(Object.keys(status.services)).toEqual(['db', 'api', 'web']);
  });
});

/** The record a run cancelled through Temporal stored (closing.ts): its close event carries no result. */
const cancelledRecord: DeploymentRecord = {
  deploymentId: 'dep-1',
  workflowId: 'deploy-shop.prod',
  name: 'shop',
  environment: 'prod',
  phase: 'CANCELLED',
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:00:09.000Z',
  error: 'cancelled by alice',
  services: {
    db: { state: 'ROLLED_BACK', startedAt: '2026-01-01T00:00:01.000Z', endedAt: '2026-01-01T00:00:02.000Z' },
    api: { state: 'ROLLED_BACK', error: 'refused' },
    web: { state: 'SKIPPED' },
  },
  orphans: [{ id: 'db-1', kind: 'database', service: 'db' }],
  retained: [],
};

describe('statusFromResult without a result (cancelled through Temporal)', () => {
  it('takes the phase and services from the stored record, not the running phase last seen', () => {
    const status = statusFromResult({ workflowId: 'deploy-shop.prod', lastSeen, recorded: { record: cancelledRecord, location: '/state/dep-1/deployment.json' } });
    expect(status).toMatchObject({ id: 'dep-1', phase: 'CANCELLED', error: 'cancelled by alice', record: '/state/dep-1/deployment.json' });
    expect(status.orphans).toEqual([{ id: 'db-1', kind: 'database', service: 'db' }]);
    expect(status.services.db).toMatchObject({ state: 'ROLLED_BACK', ended_at: '2026-01-01T00:00:02.000Z', resources: [{ id: 'db-1' }] });
    expect(status.services.api).toMatchObject({ state: 'ROLLED_BACK', error: 'refused' });
    expect(status.services.web.state).toBe('SKIPPED');
    expect(exitCodeForStatus(status)).toBe(ExitCode.needsAttention);
    expect(exitCodeForStatus({ ...status, orphans: [] })).toBe(ExitCode.failed);
  });

  it('fails, rather than say anything, with neither a result nor a record', () => {
    expect(() => statusFromResult({ workflowId: 'deploy-shop.prod', lastSeen })).toThrow(/neither a result nor a stored deployment record/);
  });
});

/** A history page as read backwards (newest first), with payloads as the default converter makes them. */
function page(parts: { orphans?: 'failed' | unknown[]; record?: 'failed' | string }): HistoryEventLike[] {
  const payloads = (value: unknown) => ({ payloads: [defaultPayloadConverter.toPayload(value)] });
  const events: HistoryEventLike[] = [];
  if (parts.record === 'failed') {
    events.push({ eventId: 12, activityTaskFailedEventAttributes: { scheduledEventId: 10, failure: { message: 'disk full', applicationFailureInfo: {} } } });
  } else if (parts.record !== undefined) {
    events.push({ eventId: 12, activityTaskCompletedEventAttributes: { scheduledEventId: 10, result: payloads(parts.record) } });
  }
  events.push({ eventId: 10, activityTaskScheduledEventAttributes: { activityType: { name: 'recordDeployment' }, input: payloads(cancelledRecord) } });
  if (parts.orphans === 'failed') {
    // Retries ran out on a timeout: the application failure under it is what the workflow reports.
    events.push({
      eventId: 6,
      activityTaskTimedOutEventAttributes: {
        scheduledEventId: 4,
        failure: { message: 'activity StartToClose timeout', cause: { message: 'kubectl: connection refused', applicationFailureInfo: {} } },
      },
    });
  } else if (parts.orphans !== undefined) {
    events.push({ eventId: 6, activityTaskCompletedEventAttributes: { scheduledEventId: 4, result: payloads(parts.orphans) } });
  }
  events.push({ eventId: 4, activityTaskScheduledEventAttributes: { activityType: { name: 'findOrphans' }, input: payloads({}) } });
  return events;
}

const fromPayload = (payload: unknown) => defaultPayloadConverter.fromPayload(payload as never);

describe('recordedFromEvents: what the closed history says beside the result', () => {
  it('an orphan check that failed: its error, which needs attention (exit 4) though the last status seen had none', () => {
    const recorded = recordedFromEvents(page({ orphans: 'failed', record: '/state/dep-1/deployment.json' }), fromPayload);
    expect(recorded).toMatchObject({
      location: '/state/dep-1/deployment.json',
      record: { deploymentId: 'dep-1', phase: 'CANCELLED' },
      orphanCheck: { error: 'could not check the live inventory: kubectl: connection refused', unverifiable: [] },
    });
    const status = statusFromResult({ workflowId: 'w', result: { ...result, phase: 'ROLLED_BACK' }, lastSeen, recorded });
    expect(status.orphan_check_error).toBe('could not check the live inventory: kubectl: connection refused');
    expect(exitCodeForStatus(status)).toBe(ExitCode.needsAttention);
  });

  it('the services the check could not verify, and a record that was not stored', () => {
    const recorded = recordedFromEvents(
      page({ orphans: [{ id: 'web:unverifiable', kind: 'unverifiable', service: 'web', unverifiable: 'no inventory command' }], record: 'failed' }),
      fromPayload,
    );
    expect(recorded).toMatchObject({ recordError: 'disk full', orphanCheck: { unverifiable: [{ service: 'web', reason: 'no inventory command' }] } });
    const status = statusFromResult({ workflowId: 'w', result, lastSeen: { ...lastSeen, orphan_check_error: 'stale' }, recorded });
    expect(status).toMatchObject({ record: 'not stored: disk full', orphan_check_error: null, unverifiable: [{ service: 'web', reason: 'no inventory command' }] });
  });

  it('no orphan check in the history: as last seen; no record activity: undefined', () => {
    const recorded = recordedFromEvents(page({ record: '/r.json' }), fromPayload);
    expect(recorded?.orphanCheck).toBeUndefined();
    const status = statusFromResult({ workflowId: 'w', result, lastSeen: { ...lastSeen, orphan_check_error: 'as seen' }, recorded });
    expect(status.orphan_check_error).toBe('as seen');
    expect(recordedFromEvents([], fromPayload)).toBeUndefined();
  });
});

describe('the watch loop\'s waits', () => {
  it('untilAborted leaves no listener on the long-lived signal once its promise settles', async () => {
    const wake = new AbortController();
    for (let i = 0; i < 100; i++) expect(await untilAborted(Promise.resolve(i), wake.signal)).toBe(i);
    expect(getEventListeners(wake.signal, 'abort')).toHaveLength(0);
    const pending = untilAborted(new Promise<number>(() => {}), wake.signal);
    wake.abort();
    expect(await pending).toBeUndefined();
  });

  it('delay clears its timer when woken early, so nothing keeps the process alive', async () => {
    jest.useFakeTimers();
    try {
      const wake = new AbortController();
      const waiting = delay(15_000, wake.signal);
      expect(jest.getTimerCount()).toBe(1);
      wake.abort();
      await waiting;
      expect(jest.getTimerCount()).toBe(0);
      expect(getEventListeners(wake.signal, 'abort')).toHaveLength(0);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('pollDelay', () => {
  it('is the interval while queries are quick, a multiple of a slow query after one, within a bound', () => {
    expect(pollDelay(400, undefined)).toBe(400);
    expect(pollDelay(400, 20)).toBe(400);
    expect(pollDelay(400, 500)).toBe(1_500);
    expect(pollDelay(400, 60_000)).toBe(15_000);
  });
});
