/** `tugboat history` and `tugboat list`: the data they show and how, from records and listed executions. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TypedSearchAttributes } from '@temporalio/common';
import { TUGBOAT_DEPLOYMENT, TUGBOAT_ENVIRONMENT, TUGBOAT_PHASE } from '../../src/api/search-attributes';
import { environmentHistory, historyEntry, parseEnvironmentRef } from '../../src/client/history';
import { loadLearnedDurations } from '../../src/client/learned-durations';
import { DEPLOYMENT_PHASES, listedDeployment, listQuery, parsePhase, type ListedExecution } from '../../src/client/list';
import { compactVersions, renderHistory } from '../../src/cli/commands/history';
import { renderList } from '../../src/cli/commands/list';
import { FileStateStore, type DeploymentRecord } from '../../src/state';

function record(id: string, startedAt: string, over: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    deploymentId: id,
    workflowId: 'deploy-shop.prod',
    name: 'shop',
    environment: 'prod',
    phase: 'SUCCEEDED',
    startedAt,
    endedAt: new Date(Date.parse(startedAt) + 154_000).toISOString(),
    services: {
      web: { state: 'SUCCEEDED', version: '3.1.0', startedAt, endedAt: new Date(Date.parse(startedAt) + 60_000).toISOString() },
      api: { state: 'SUCCEEDED', version: '2.0.1', startedAt, endedAt: new Date(Date.parse(startedAt) + 30_000).toISOString() },
      dns: { state: 'UNCHANGED' },
    },
    requestedBy: 'ana@laptop',
    orphans: [],
    retained: [],
    ...over,
  };
}

describe('history', () => {
  it('parses <name>/<environment> and refuses anything else with what to type', () => {
    expect(parseEnvironmentRef(' shop/prod ')).toEqual({ name: 'shop', environment: 'prod' });
    expect(() => parseEnvironmentRef('shop')).toThrow(/"shop" is not <name>\/<environment>.*e\.g\. ecommerce-app\/production/);
    expect(() => parseEnvironmentRef('shop/prod/x')).toThrow(/not <name>\/<environment>/);
    expect(() => parseEnvironmentRef('Shop/prod')).toThrow(/"Shop" cannot be a deployment name: .*lowercase/);
    expect(() => parseEnvironmentRef('dep-20261123t183012345z-k3f9q2')).toThrow(/tugboat status dep-20261123t183012345z-k3f9q2/);
  });

  it('turns a record into ID, phase, duration, who, versions', () => {
    const entry = historyEntry(record('dep-1', '2026-11-23T18:30:12.345Z', { requestedBy: undefined, error: 'api: boom' }));
    expect(entry).toEqual({
      id: 'dep-1',
      phase: 'SUCCEEDED',
      started_at: '2026-11-23T18:30:12.345Z',
      ended_at: '2026-11-23T18:32:46.345Z',
      duration_ms: 154_000,
      requested_by: null,
      versions: { api: '2.0.1', web: '3.1.0' },
      services: { api: { state: 'SUCCEEDED', version: '2.0.1' }, dns: { state: 'UNCHANGED' }, web: { state: 'SUCCEEDED', version: '3.1.0' } },
      error: 'api: boom',
    });
  });

  it('renders a table, newest first, and says when --limit hides older ones', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-history-'));
    try {
      const store = new FileStateStore(dir);
      await store.saveDeploymentRecord(record('dep-1', '2026-11-22T09:00:00.000Z', { phase: 'ROLLED_BACK' }));
      await store.saveDeploymentRecord(record('dep-2', '2026-11-23T18:30:12.345Z'));
      await store.saveDeploymentRecord(record('dep-3', '2026-11-21T09:00:00.000Z'));
      await store.saveDeploymentRecord(record('dep-other', '2026-11-24T09:00:00.000Z', { environment: 'dev' }));
      const history = await environmentHistory(store, { name: 'shop', environment: 'prod' }, 2);
      expect(history.total).toBe(3);
      expect(history.deployments.map((d) => d.id)).toEqual(['dep-2', 'dep-1']);
      expect(renderHistory(history).split('\n')).toEqual([
        `shop/prod: 3 deployments, newest first (from ${dir})`,
        'DEPLOYMENT  PHASE        DURATION  BY          STARTED               VERSIONS',
        'dep-2       SUCCEEDED    2m 34s    ana@laptop  2026-11-23 18:30:12Z  api@2.0.1 dns web@3.1.0',
        'dep-1       ROLLED_BACK  2m 34s    ana@laptop  2026-11-22 09:00:00Z  api@2.0.1 dns web@3.1.0',
        '… 1 older not shown (--limit 3)',
      ]);
      // The same records feed learned durations (median of api's 30 s runs, web's 60 s).
      expect(await loadLearnedDurations('shop', 'prod', store)).toEqual({ api: 30_000, web: 60_000 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says so when there is no history, and how to deploy', () => {
    const text = renderHistory({ name: 'shop', environment: 'prod', store: '/x/state', total: 0, deployments: [] });
    expect(text).toMatch(/^No deployments of shop\/prod recorded in \/x\/state\./);
    expect(text).toMatch(/tugboat deploy <manifest>\s+\(deployment\.name: shop, deployment\.environment: prod\)/);
    expect(text).toMatch(/TUGBOAT_HOME/);
  });

  it('keeps the version set compact', () => {
    const services = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`service-${i}`, { state: 'SUCCEEDED', version: `1.${i}` }]));
    const text = compactVersions({ services }, 60);
    expect(text.length).toBeLessThanOrEqual(60);
    expect(text).toMatch(/^service-0@1\.0 service-1@1\.1 .* … \+\d+$/);
    const shown = text.split(' ').filter((p) => p.includes('@')).length;
    expect(text.endsWith(`+${12 - shown}`)).toBe(true);
    expect(compactVersions({ services: {} })).toBe('-');
  });
});

describe('list', () => {
  it('builds the visibility query from the filters', () => {
    expect(listQuery()).toBe('TugboatDeployment IS NOT NULL');
    expect(listQuery({ environment: 'prod', phase: 'halted', name: 'shop-api' })).toBe(
      "TugboatDeployment IS NOT NULL AND TugboatEnvironment = 'prod' AND TugboatPhase = 'HALTED' AND WorkflowId STARTS_WITH 'deploy-shop-api.'",
    );
  });

  it('refuses values that could change the query, naming the flag and the fix', () => {
    expect(() => listQuery({ environment: "prod' OR TugboatPhase != 'x" })).toThrow(/--environment .*quotes and backslashes are not allowed; use lowercase letters, digits and "-"/);
    expect(() => listQuery({ name: 'Shop API' })).toThrow(/--name "Shop API": it is not a manifest name/);
    expect(() => listQuery({ environment: 'a\\b' })).toThrow(/quotes and backslashes/);
  });

  it('refuses an unknown phase, listing every phase', () => {
    expect(parsePhase('rolled-back')).toBe('ROLLED_BACK');
    expect(() => parsePhase('DONE')).toThrow(`--phase "DONE" is not a deployment phase; use one of ${DEPLOYMENT_PHASES.join(', ')}`);
    expect(DEPLOYMENT_PHASES).toEqual(expect.arrayContaining(['PAUSED', 'HALTED', 'BAKING', 'PARTIAL', 'SUCCEEDED', 'ROLLBACK_BLOCKED']));
  });

  function execution(over: Partial<ListedExecution> & { phase?: string; environment?: string; deployment?: string }): ListedExecution {
    const { phase, environment, deployment, ...rest } = over;
    return {
      workflowId: 'deploy-shop.prod',
      runId: 'run-1',
      startTime: new Date('2026-11-23T18:00:00.000Z'),
      closeTime: undefined,
      status: { name: 'RUNNING' },
      typedSearchAttributes: new TypedSearchAttributes([
        ...(deployment ? [{ key: TUGBOAT_DEPLOYMENT, value: deployment }] : []),
        ...(environment ? [{ key: TUGBOAT_ENVIRONMENT, value: environment }] : []),
        ...(phase ? [{ key: TUGBOAT_PHASE, value: phase }] : []),
      ]),
      ...rest,
    };
  }

  it('reads a listed execution: ID, name, phase, start and duration (so far, while it runs)', () => {
    const now = new Date('2026-11-23T18:01:30.000Z');
    const running = listedDeployment(execution({ deployment: 'dep-a', environment: 'prod', phase: 'DEPLOYING' }), now);
    expect(running).toEqual({
      id: 'dep-a',
      name: 'shop',
      environment: 'prod',
      phase: 'DEPLOYING',
      status: 'RUNNING',
      running: true,
      workflow_id: 'deploy-shop.prod',
      run_id: 'run-1',
      started_at: '2026-11-23T18:00:00.000Z',
      ended_at: null,
      duration_ms: 90_000,
    });
    const legacy = listedDeployment(
      execution({
        workflowId: 'deploy-shop-api-prod',
        deployment: 'dep-b',
        environment: 'prod',
        phase: 'DEPLOYING',
        status: { name: 'TERMINATED' },
        closeTime: new Date('2026-11-23T18:00:05.000Z'),
      }),
      now,
    );
    expect(legacy).toMatchObject({ name: 'shop-api', running: false, ended_at: '2026-11-23T18:00:05.000Z', duration_ms: 5000 });

    const lines = renderList([running, legacy], 'q').split('\n');
    expect(lines).toEqual([
      'DEPLOYMENT  ENVIRONMENT    PHASE                            STARTED               DURATION',
      'dep-a       shop/prod      DEPLOYING                        2026-11-23 18:00:00Z  1m 30s so far',
      'dep-b       shop-api/prod  DEPLOYING (workflow terminated)  2026-11-23 18:00:00Z  5s',
    ]);
  });

  it('says when nothing matches', () => {
    expect(renderList([], "TugboatEnvironment = 'prod'")).toMatch(/^No deployments match TugboatEnvironment = 'prod'\.\nVisibility can lag/);
  });
});
