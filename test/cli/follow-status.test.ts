/**
 * Pure parts of following a deployment: how a closed deployment's status is put together from its
 * result without a query (statusFromResult), and how far apart the watcher's queries are (pollDelay).
 */
import type { DeploymentResult } from '../../src/api/progress';
import { pollDelay } from '../../src/cli/watch';
import { statusFromResult, type DeploymentStatus, type ServiceStatus } from '../../src/client/status';
import { validateManifestOrThrow } from '../../src/manifest/validate';
import { planOrThrow } from '../../src/plan';

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

function service(overrides: Partial<ServiceStatus>): ServiceStatus {
  return {
    state: 'PENDING',
    type: 'shell',
    wave: 0,
    attempt: null,
    last_failure: null,
    activity: null,
    provider: null,
    started_at: null,
    ended_at: null,
    error: null,
    outputs: {},
    resources: [],
    steps: {},
    ...overrides,
  };
}

/** What the last query said while it ran: db done (after a retry), api retrying, web not started. */
const lastSeen: DeploymentStatus = {
  id: 'dep-1',
  name: 'shop',
  environment: 'prod',
  phase: 'DEPLOYING',
  workflow_id: 'deploy-shop.prod',
  started_at: '2026-01-01T00:00:00.000Z',
  ended_at: null,
  error: null,
  waves: [['db'], ['api'], ['web']],
  services: {
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
  rollback_manifest: 'file:///state/dep-1/rollback-manifest.json',
  record: null,
  rollback: null,
  orphans: [],
  orphan_check_error: null,
  unverifiable: [],
  retained: [],
  requests: [],
  awaiting_decision: false,
  paused: null,
  approvals: null,
  bake: null,
  on_failure: 'rollback',
  failed: [],
  skipped: [],
  notifications: [],
};

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

describe('pollDelay', () => {
  it('is the interval while queries are quick, a multiple of a slow query after one, within a bound', () => {
    expect(pollDelay(400, undefined)).toBe(400);
    expect(pollDelay(400, 20)).toBe(400);
    expect(pollDelay(400, 500)).toBe(1_500);
    expect(pollDelay(400, 60_000)).toBe(15_000);
  });
});
