/** `tugboat plan --diff`: the diff against the live state (pure), and reading that state (read-only). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { diffManifest, readEnvironmentState, renderPlanDiff, type EnvironmentState, type ServiceLiveState } from '../../src/client/plan-diff';
import { configHash } from '../../src/executors/service-record';
import type { PreviousState } from '../../src/executors/types';
import type { ManifestInput, ServiceSpec } from '../../src/manifest/schema';
import { validateManifestOrThrow } from '../../src/manifest/validate';
import { planOrThrow } from '../../src/plan';
import { SimCloudClient, startSimCloud } from '../../src/simcloud';
import { FileStateStore, type DeploymentRecord, type ServiceStateRecord } from '../../src/state';

const BASE = '/srv/release';

const manifestOf = (services: ManifestInput['deployment']['services']) =>
  validateManifestOrThrow({ deployment: { name: 'shop', environment: 'prod', services } });

const SERVICES: ManifestInput['deployment']['services'] = [
  { name: 'vpc', type: 'terraform', executor: 'simulated', version: 'v1' },
  { name: 'db', type: 'terraform', executor: 'simulated', version: 'v1', dependencies: ['vpc'], config: { vpc: '${{ services.vpc.outputs.vpc_id }}', size: 'large' } },
  { name: 'api', type: 'kubernetes', executor: 'simulated', version: 'v2', dependencies: ['db'], config: { db: '${{ services.db.outputs.endpoint }}' } },
  { name: 'web', type: 'kubernetes', executor: 'kubectl', version: 'v5', config: { manifests: './k8s' } },
  { name: 'cache', type: 'docker', executor: 'simulated', version: 'v1' },
  { name: 'migrate', type: 'shell', config: { run: ['./migrate.sh'] } },
];

/** The record and live state a deploy of `service` (its config resolved with `outputs`) by `by` leaves. */
function deployed(
  service: ServiceSpec,
  by: string,
  outputs: Record<string, string>,
  upstream: Record<string, Record<string, string>> = {},
  over: { live?: Partial<PreviousState>; record?: Partial<ServiceStateRecord>; source?: 'record'; why?: string } = {},
): ServiceLiveState {
  const config = JSON.parse(JSON.stringify(service.config ?? null).replace(/\$\{\{ services\.([a-z-]+)\.outputs\.([a-z_]+) \}\}/g, (_, s: string, o: string) => upstream[s][o])) as ServiceSpec['config'];
  const resolved = { ...service, ...(config === null ? {} : { config }) };
  const record: ServiceStateRecord = {
    deploymentId: by,
    executor: service.executor,
    version: service.version ?? null,
    outputs,
    resources: [],
    detail: { idempotencyKey: `${by}:${service.name}:apply`, outcome: 'created', configHash: configHash(resolved, BASE) },
    savedAt: '2026-11-30T10:00:00.000Z',
    ...over.record,
  };
  const live: PreviousState = { version: record.version, outputs, resources: [], detail: { deploymentId: by }, ...over.live };
  return over.source
    ? { live: { ...live, detail: record }, record, endedAs: 'SUCCEEDED', source: 'record', why: over.why }
    : { live, record, endedAs: 'SUCCEEDED', source: 'live' };
}

describe('plan --diff: the diff', () => {
  const manifest = manifestOf(SERVICES);
  const order = planOrThrow(manifest).order;
  const spec = (name: string) => manifest.deployment.services.find((s) => s.name === name)!;
  const vpcOut = { vpc_id: 'vpc-000001' };
  const dbOut = { endpoint: 'db.sim.local:5432' };
  const last: DeploymentRecord = {
    deploymentId: 'dep-1',
    workflowId: 'deploy-shop.prod',
    name: 'shop',
    environment: 'prod',
    phase: 'SUCCEEDED',
    startedAt: '2026-11-30T10:00:00.000Z',
    endedAt: '2026-11-30T10:01:00.000Z',
    services: { vpc: { state: 'SUCCEEDED', version: 'v1' }, db: { state: 'SUCCEEDED', version: 'v1' }, legacy: { state: 'SUCCEEDED', version: 'v3' } },
    requestedBy: 'ana@laptop',
    orphans: [],
    retained: [],
  };
  const state: EnvironmentState = {
    store: '/home/ana/.tugboat/state',
    last,
    services: {
      // Same version and config as recorded, owned by the record's deployment: unchanged.
      vpc: deployed(spec('vpc'), 'dep-1', vpcOut),
      // Same version, but recorded with another size: its config changed.
      db: deployed({ ...spec('db'), config: { ...(spec('db').config as object), size: 'small' } }, 'dep-1', dbOut, { vpc: vpcOut }),
      // v1 runs; the manifest asks for v2.
      api: deployed({ ...spec('api'), version: 'v1' }, 'dep-1', { url: 'http://api' }, { db: dbOut }),
      // kubectl: only its record was read.
      web: deployed(spec('web'), 'dep-0', {}, {}, { source: 'record', why: 'plan does not read kubectl\'s live state: that needs kubectl and the cluster' }),
      // Never deployed.
      cache: { live: null, record: undefined, source: 'live' },
      // No version: applied on every deploy.
      migrate: deployed(spec('migrate'), 'dep-1', {}),
    },
  };

  it('classifies each service as apply would, and lists what the last deployment had that the manifest does not', () => {
    const diff = diffManifest(manifest, order, BASE, state);
    const by = Object.fromEntries(diff.services.map((s) => [s.service, s]));
    expect(by.vpc).toMatchObject({ change: 'unchanged', from: 'v1', to: 'v1' });
    expect(by.db).toMatchObject({ change: 'update', from: 'v1', to: 'v1', reason: 'its config changed' });
    expect(by.api).toMatchObject({ change: 'update', from: 'v1', to: 'v2' });
    expect(by.web).toMatchObject({ change: 'unchanged', source: 'record' });
    expect(by.cache).toMatchObject({ change: 'create', to: 'v1' });
    expect(by.migrate).toMatchObject({ change: 'update', reason: expect.stringMatching(/no version/) });
    expect(by.legacy).toMatchObject({ change: 'remove', from: 'v3' });
    expect(diff.fromRecord).toEqual([{ service: 'web', why: expect.stringContaining('kubectl') }]);
    expect(diff.last).toMatchObject({ deploymentId: 'dep-1', phase: 'SUCCEEDED', requestedBy: 'ana@laptop' });
  });

  it('an unchanged service whose upstream changes holds only if that upstream keeps its outputs', () => {
    const unchangedApi = { ...state, services: { ...state.services, api: deployed(spec('api'), 'dep-1', { url: 'http://api' }, { db: dbOut }) } };
    const api = diffManifest(manifest, order, BASE, unchangedApi).services.find((s) => s.service === 'api');
    expect(api).toMatchObject({ change: 'unchanged', caveat: 'unless db changes its outputs' });
    // A different manifest directory is a different config (relative paths resolve against it).
    expect(diffManifest(manifest, order, '/elsewhere', state).services.find((s) => s.service === 'vpc')?.change).toBe('update');
    // A service whose last apply ended FAILED (and was not rolled back) is applied again.
    const failed = { ...state, services: { ...state.services, vpc: { ...state.services.vpc, endedAs: 'FAILED' } } };
    expect(diffManifest(manifest, order, BASE, failed).services.find((s) => s.service === 'vpc')).toMatchObject({
      change: 'update',
      reason: 'it ended FAILED in dep-1, which applied it last',
    });
  });

  it('renders one line per service in manifest order with its sign, the last deployment and the totals', () => {
    const text = renderPlanDiff(diffManifest(manifest, order, BASE, state));
    expect(text.split('\n')).toEqual([
      'shop → prod: what a deploy would change (state store /home/ana/.tugboat/state)',
      'last deployment: dep-1 SUCCEEDED, 2026-11-30T10:00:00.000Z → 2026-11-30T10:01:00.000Z by ana@laptop',
      expect.stringMatching(/^ {2}= vpc +v1 unchanged$/),
      expect.stringMatching(/^ {2}~ db +v1 \(its config changed\)$/),
      expect.stringMatching(/^ {2}~ api +v1 → v2$/),
      expect.stringMatching(/^ {2}= web +v5 unchanged$/),
      expect.stringMatching(/^ {2}\+ cache +create v1$/),
      expect.stringMatching(/^ {2}~ migrate +no version: applied on every deploy$/),
      expect.stringMatching(/^ {2}- legacy +v3: was SUCCEEDED in dep-1; not in this manifest, so a deploy leaves it as it is$/),
      expect.stringMatching(/^ {2}from the last record: web \(plan does not read kubectl's live state/),
      '1 to create, 3 to update, 2 unchanged, 1 no longer in the manifest (left as they are)',
    ]);
  });

  it('says so when the environment has no deployment yet', () => {
    const empty = diffManifest(manifest, order, BASE, { store: '/s', services: {} });
    expect(renderPlanDiff(empty)).toContain('last deployment: none recorded for this environment');
    expect(empty.services.filter((s) => s.change === 'create').map((s) => s.service).sort()).toEqual(['api', 'cache', 'db', 'migrate', 'vpc', 'web']);
  });
});

describe('plan --diff: reading the state', () => {
  let dir: string;
  let sim: Awaited<ReturnType<typeof startSimCloud>>;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-plandiff-'));
    sim = await startSimCloud({ port: 0 });
  });
  afterAll(async () => {
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads the simulated cloud live and stands in the record where it cannot, saying why', async () => {
    const manifest = manifestOf([
      { name: 'vpc', type: 'terraform', executor: 'simulated', version: 'v1' },
      { name: 'web', type: 'kubernetes', executor: 'kubectl', version: 'v5', config: { manifests: './k8s' } },
    ]);
    const store = new FileStateStore(path.join(dir, 'state'));
    const webRecord: ServiceStateRecord = { deploymentId: 'dep-0', executor: 'kubectl', version: 'v4', outputs: {}, resources: [], savedAt: 'then' };
    await store.saveServiceState({ name: 'shop', environment: 'prod', service: 'web' }, webRecord);
    await store.saveDeploymentRecord({
      deploymentId: 'dep-0',
      workflowId: 'deploy-shop.prod',
      name: 'shop',
      environment: 'prod',
      phase: 'SUCCEEDED',
      startedAt: '2026-11-30T09:00:00.000Z',
      endedAt: '2026-11-30T09:01:00.000Z',
      services: { web: { state: 'SUCCEEDED', version: 'v4' } },
      orphans: [],
      retained: [],
    });
    await new SimCloudClient(sim.url).apply({ service: 'vpc', deploymentId: 'dep-1', type: 'terraform', version: 'v1', idempotencyKey: 'k1' });

    const read = await readEnvironmentState(manifest, { store, baseDir: BASE, simCloudUrl: sim.url, dataDir: dir });
    expect(read.services.vpc).toMatchObject({ source: 'live', live: { version: 'v1', detail: { deploymentId: 'dep-1' } }, record: undefined });
    expect(read.services.web).toMatchObject({ source: 'record', live: { version: 'v4' }, record: webRecord, endedAs: 'SUCCEEDED', why: expect.stringContaining('kubectl') });
    expect(read.last?.deploymentId).toBe('dep-0');

    // The simulated cloud down: its record (none here) stands in, and the reason names the URL.
    const down = await readEnvironmentState(manifest, { store, baseDir: BASE, simCloudUrl: 'http://127.0.0.1:9', dataDir: dir, timeoutMs: 2_000 });
    expect(down.services.vpc).toMatchObject({ source: 'record', live: null, why: expect.stringContaining('http://127.0.0.1:9') });
    // Nothing was written: the store holds only the records the test saved.
    expect(fs.readdirSync(path.join(dir, 'state', 'services', 'shop.prod'))).toEqual(['web.json']);
    expect(fs.readdirSync(path.join(dir, 'state', 'deployments'))).toEqual(['dep-0']);
  });
});
