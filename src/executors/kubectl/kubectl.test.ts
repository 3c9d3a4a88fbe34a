/**
 * The kubectl executor against the suite's dev cluster (a real API server, controller manager and
 * scheduler; KWOK nodes make scheduled pods Running and Ready) with the real kubectl. Each test
 * deploys into a namespace of its own, which the executor creates and its rollback removes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { kubeEnv } from '../../../test/support/kube-env';
import { uniqueName } from '../../../test/support/temporal-env';
import { waitFor } from '../../../test/support/wait';
import { serviceSchema } from '../../manifest/schema';
import { runProcess } from '../../system/process';
import { tempDir, testContext, testDependencies } from '../testing';
import type { Executor, ExecutorDependencies, PreviousState } from '../types';
import { RolloutFailedError } from './rollout';
import { kubectlConfigSchema } from './schema';
import { kubectlExecutor } from '.';

const SECRET_VALUE = 'pa55-w0rd-kubectl-test';

interface Harness {
  dataDir: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  deps: ExecutorDependencies;
  executor: Executor;
  namespace: string;
}

function harness(): Harness {
  const dataDir = tempDir('kubectl');
  const dir = tempDir('kubectl-manifests');
  const env = kubeEnv({ KX_DB_PASSWORD: SECRET_VALUE });
  const deps = testDependencies(dataDir, { env });
  return { dataDir, dir, env, deps, executor: kubectlExecutor.create(deps), namespace: uniqueName('kx') };
}

function deploymentYaml(extra: { nodeSelector?: Record<string, string>; progressDeadlineSeconds?: number; env?: string } = {}): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, labels: { app: web } }
spec:
  replicas: 2
  ${extra.progressDeadlineSeconds ? `progressDeadlineSeconds: ${extra.progressDeadlineSeconds}` : ''}
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      ${extra.nodeSelector ? `nodeSelector: ${JSON.stringify(extra.nodeSelector)}` : ''}
      tolerations: [{ key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule }]
      containers:
        - name: web
          image: web:dev
          ${extra.env ? `env: [{ name: MODE, value: "${extra.env}" }]` : ''}
`;
}

const SERVICE_YAML = `apiVersion: v1
kind: Service
metadata: { name: web }
spec: { selector: { app: web }, ports: [{ port: 80 }] }
`;

function writeManifests(h: Harness, files: Record<string, string>): void {
  fs.rmSync(path.join(h.dir, 'k8s'), { recursive: true, force: true });
  fs.mkdirSync(path.join(h.dir, 'k8s'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(h.dir, 'k8s', name), text);
}

function service(h: Harness, version: string, config: Record<string, unknown> = {}) {
  return {
    name: 'web-app',
    type: 'kubernetes',
    version,
    config: { manifests: './k8s', namespace: h.namespace, images: { web: 'registry.example.com/web' }, wait: { timeout: '60s' }, ...config },
  };
}

const deployment = (h: Harness, id: string) => ({ id, name: 'shop', environment: 'dev', baseDir: h.dir });
const ctx = (h: Harness, entry: Record<string, unknown>, id: string, step: 'apply' | 'verify' | 'compensate' = 'apply') =>
  testContext(entry, { env: h.env, step, deployment: deployment(h, id) });
const target = (h: Harness, entry: Record<string, unknown>, id: string) => ({ deployment: deployment(h, id), service: serviceSchema.parse(entry) });

async function kubectl(h: Harness, ...args: string[]): Promise<string> {
  const result = await runProcess([h.env.TUGBOAT_KUBECTL_PATH!, ...args], { env: h.env });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderrTail.join('\n')}`);
  return result.stdout;
}

async function getJson(h: Harness, ...args: string[]): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const out = await kubectl(h, 'get', ...args, '--ignore-not-found', '-o', 'json');
  return out.trim() ? JSON.parse(out) : undefined;
}

const image = async (h: Harness) => (await getJson(h, 'deployment', 'web', '-n', h.namespace)).spec.template.spec.containers[0].image as string;

/** Every file under dir, with its text. */
function filesUnder(dir: string): Array<[string, string]> {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .map((f) => [f, fs.readFileSync(f, 'utf8')]);
}

/** Gone, or going (a namespace takes its time: the executor does not wait for it). */
async function namespaceGone(h: Harness): Promise<boolean> {
  const ns = await getJson(h, 'namespace', h.namespace);
  return !ns || Boolean(ns.metadata.deletionTimestamp);
}

describe('kubectl executor', () => {
  it('its examples are valid service entries with valid configs', () => {
    expect(kubectlExecutor.examples.length).toBeGreaterThan(0);
    for (const example of kubectlExecutor.examples) {
      const entry = serviceSchema.parse((parseDocument(example).toJS() as unknown[])[0]);
      expect(kubectlConfigSchema.safeParse(entry.config).success).toBe(true);
    }
  });

  it('create → verify → inventory → compensate(delete) leaves nothing, and a re-run of the delete is a no-op', async () => {
    const h = harness();
    writeManifests(h, { 'deployment.yaml': deploymentYaml(), 'service.yaml': SERVICE_YAML });
    const entry = service(h, 'v1', {
      config_maps: { 'web-config': { DB_HOST: 'db.internal' } },
      secrets: { 'web-db': { PASSWORD: { secret: 'env:KX_DB_PASSWORD' } } },
    });

    expect(await h.executor.preflight!(target(h, entry, 'dep-1'), new AbortController().signal)).toEqual([]);
    expect(await h.executor.snapshot(target(h, entry, 'dep-1'), new AbortController().signal)).toBeNull();

    const applied = await h.executor.apply(ctx(h, entry, 'dep-1'));
    expect(applied).toMatchObject({ outcome: 'created', version: 'v1', outputs: { namespace: h.namespace } });
    // A re-run of the same step (its worker died after applying) converges and reports what the first run found.
    expect(await h.executor.apply(ctx(h, entry, 'dep-1'))).toEqual(applied);
    expect(applied.resources.map((r) => r.id).sort()).toEqual(
      [`Namespace/${h.namespace}`, `${h.namespace}/ConfigMap/web-config`, `${h.namespace}/Deployment.apps/web`, `${h.namespace}/Secret/web-db`, `${h.namespace}/Service/web`].sort(),
    );
    expect(await image(h)).toBe('registry.example.com/web:v1');
    const secret = await getJson(h, 'secret', 'web-db', '-n', h.namespace);
    expect(Buffer.from(secret.data.PASSWORD, 'base64').toString()).toBe(SECRET_VALUE);
    expect(secret.metadata.labels).toMatchObject({ 'tugboat.dev/deployment': 'shop.dev', 'tugboat.dev/service': 'web-app', 'app.kubernetes.io/managed-by': 'tugboat' });

    const verified = await h.executor.verify(ctx(h, entry, 'dep-1', 'verify'));
    expect(verified).toMatchObject({ healthy: true, version: 'v1' });
    expect(verified.detail).toContain(`Deployment ${h.namespace}/web`);

    const inventory = await h.executor.inventory(deployment(h, 'dep-1'), [serviceSchema.parse(entry)], new AbortController().signal);
    expect(inventory.unverifiable).toEqual([]);
    expect(inventory.items.map((i) => `${i.id} ${i.deploymentId} ${i.service}`).sort()).toEqual(applied.resources.map((r) => `${r.id} dep-1 web-app`).sort());

    // The secret's value is nowhere Tugboat keeps anything: service-state records, the executor's work dir.
    for (const [file, text] of filesUnder(h.dataDir)) expect([file, text.includes(SECRET_VALUE)]).toEqual([file, false]);

    // The manifests are gone by the time of the rollback: the record names what to delete.
    fs.rmSync(path.join(h.dir, 'k8s'), { recursive: true });
    const outcome = await h.executor.compensate(ctx(h, entry, 'dep-1', 'compensate'), 'delete', null);
    expect(outcome).toEqual({ action: 'delete', outcome: 'deleted', resources: [] });
    for (const kind of ['deployment/web', 'service/web', 'configmap/web-config', 'secret/web-db']) {
      const [type, name] = kind.split('/');
      const live = await getJson(h, type, name, '-n', h.namespace);
      expect([kind, !live || Boolean(live.metadata.deletionTimestamp)]).toEqual([kind, true]);
    }
    expect(await namespaceGone(h)).toBe(true);
    expect(filesUnder(path.join(h.dataDir, 'state'))).toEqual([]);
    writeManifests(h, { 'deployment.yaml': deploymentYaml(), 'service.yaml': SERVICE_YAML });
    expect(await h.executor.compensate(ctx(h, entry, 'dep-1', 'compensate'), 'delete', null)).toMatchObject({ outcome: 'noop' });
  });

  it('keeps the namespace it created when the namespace holds anything that is not the service\'s', async () => {
    const h = harness();
    writeManifests(h, { 'deployment.yaml': deploymentYaml() });
    const entry = service(h, 'v1');
    await h.executor.apply(ctx(h, entry, 'dep-1'));
    // Someone else's object in the namespace this service created.
    await kubectl(h, 'create', 'configmap', 'not-tugboats', '-n', h.namespace, '--from-literal=a=b');

    expect((await h.executor.compensate(ctx(h, entry, 'dep-1', 'compensate'), 'delete', null)).outcome).toBe('deleted');
    const web = await getJson(h, 'deployment', 'web', '-n', h.namespace);
    expect(!web || Boolean(web.metadata.deletionTimestamp)).toBe(true);
    expect(await namespaceGone(h)).toBe(false);
    expect((await getJson(h, 'configmap', 'not-tugboats', '-n', h.namespace)).data).toEqual({ a: 'b' });
    await kubectl(h, 'delete', 'namespace', h.namespace, '--wait=false');
  });

  it('update → compensate(restore) brings back the previous image and spec, awaiting the rollout, and deletes what the update added', async () => {
    const h = harness();
    writeManifests(h, { 'deployment.yaml': deploymentYaml({ env: 'one' }) });
    const secrets = { 'web-db': { PASSWORD: { secret: 'env:KX_DB_PASSWORD' } } };
    const v1 = service(h, 'v1', { secrets });
    await h.executor.apply(ctx(h, v1, 'dep-1'));
    await h.executor.verify(ctx(h, v1, 'dep-1', 'verify'));

    // The next deployment: a new image, another env value, and a ConfigMap that did not exist.
    writeManifests(h, { 'deployment.yaml': deploymentYaml({ env: 'two' }) });
    const v2 = service(h, 'v2', { secrets, config_maps: { 'web-extra': { A: 'b' } } });
    const previous = (await h.executor.snapshot(target(h, v2, 'dep-2'), new AbortController().signal)) as PreviousState;
    expect(previous).toMatchObject({ version: 'v1' });
    const stored = JSON.stringify(previous);
    expect(stored).not.toContain(SECRET_VALUE);
    expect(stored).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));
    expect(stored).not.toMatch(/managedFields|resourceVersion|"status"/);

    expect((await h.executor.apply(ctx(h, v2, 'dep-2'))).outcome).toBe('updated');
    await h.executor.verify(ctx(h, v2, 'dep-2', 'verify'));
    expect(await image(h)).toBe('registry.example.com/web:v2');

    // The workflow stores the snapshot in the rollback manifest as JSON: restore from that form.
    const outcome = await h.executor.compensate(ctx(h, v2, 'dep-2', 'compensate'), 'restore', JSON.parse(stored) as PreviousState);
    expect(outcome.action).toBe('restore');
    expect(outcome.outcome).toMatch(/^restored; kept Secret .*\/web-db with this deployment's data/);
    const live = await getJson(h, 'deployment', 'web', '-n', h.namespace);
    expect(live.spec.template.spec.containers[0]).toMatchObject({ image: 'registry.example.com/web:v1', env: [{ name: 'MODE', value: 'one' }] });
    expect(live.metadata.annotations['tugboat.dev/deployment-id']).toBe('dep-1');
    // Awaited: the restored revision is the one rolled out when compensate returns.
    expect(live.status).toMatchObject({ observedGeneration: live.metadata.generation, updatedReplicas: 2, readyReplicas: 2 });
    expect(await getJson(h, 'configmap', 'web-extra', '-n', h.namespace)).toBeUndefined();

    // Nothing is left that the rolled-back deployment owns: the orphan check counts none.
    const inventory = await h.executor.inventory(deployment(h, 'dep-2'), [serviceSchema.parse(v1)], new AbortController().signal);
    expect(inventory.items.filter((i) => i.deploymentId === 'dep-2')).toEqual([]);
    expect(inventory.items.map((i) => i.id)).toEqual(expect.arrayContaining([`${h.namespace}/Deployment.apps/web`, `${h.namespace}/Secret/web-db`]));

    // Idempotent: a re-run after a crash (or after its rollout wait ran out) finds it restored, and still awaits the rollout.
    const beats: unknown[] = [];
    const rerun = testContext(v2, { env: h.env, step: 'compensate', deployment: deployment(h, 'dep-2'), heartbeats: beats });
    expect((await h.executor.compensate(rerun, 'restore', JSON.parse(stored) as PreviousState)).action).toBe('restore');
    expect(await image(h)).toBe('registry.example.com/web:v1');
    expect(JSON.stringify(beats)).toMatch(/successfully rolled out/);

    await h.executor.compensate(ctx(h, v1, 'dep-1', 'compensate'), 'delete', null);
    expect(await namespaceGone(h)).toBe(true);
  });

  it('a rollout that cannot complete fails verify for good, saying why (unschedulable pods)', async () => {
    const h = harness();
    writeManifests(h, { 'deployment.yaml': deploymentYaml({ nodeSelector: { 'kubernetes.io/hostname': 'nowhere' } }) });
    const entry = service(h, 'v1', { wait: { timeout: '4s' } });
    await h.executor.apply(ctx(h, entry, 'dep-1'));
    const failure = await h.executor.verify(ctx(h, entry, 'dep-1', 'verify')).catch((err: Error) => err);
    expect(failure).toBeInstanceOf(RolloutFailedError);
    expect((failure as Error).message).toMatch(new RegExp(`Deployment ${h.namespace}/web did not roll out: not complete within 4s: Unschedulable: 0/\\d+ nodes are available`));
    await h.executor.compensate(ctx(h, entry, 'dep-1', 'compensate'), 'delete', null);
  });

  it('an exceeded progress deadline fails verify with the deadline as the reason', async () => {
    const h = harness();
    writeManifests(h, { 'deployment.yaml': deploymentYaml({ nodeSelector: { 'kubernetes.io/hostname': 'nowhere' }, progressDeadlineSeconds: 1 }) });
    const entry = service(h, 'v1', { wait: { timeout: '60s' } });
    await h.executor.apply(ctx(h, entry, 'dep-1'));
    const started = Date.now();
    const failure = await h.executor.verify(ctx(h, entry, 'dep-1', 'verify')).catch((err: Error) => err);
    expect(failure).toBeInstanceOf(RolloutFailedError);
    expect((failure as Error).message).toMatch(/exceeded its progress deadline.*ProgressDeadlineExceeded/);
    expect(Date.now() - started).toBeLessThan(45_000);
    await h.executor.compensate(ctx(h, entry, 'dep-1', 'compensate'), 'delete', null);
  });

  it('preflight names the manifests that are missing and a cluster that does not answer', async () => {
    const h = harness();
    const kubeconfig = path.join(h.dir, 'dead-kubeconfig');
    const config = fs.readFileSync(h.env.KUBECONFIG!, 'utf8').replace(/server: \S+/, 'server: https://127.0.0.1:9');
    fs.writeFileSync(kubeconfig, config);
    const deps = testDependencies(h.dataDir, { env: { ...h.env, KUBECONFIG: kubeconfig } });
    const problems = await kubectlExecutor.create(deps).preflight!(target(h, service(h, 'v1'), 'dep-1'), new AbortController().signal);
    expect(problems).toEqual([
      expect.objectContaining({ path: 'config.manifests', message: expect.stringContaining('do not exist') }),
      expect.objectContaining({ path: 'executor', message: expect.stringContaining('does not answer'), fix: expect.stringContaining('tugboat dev-cluster') }),
    ]);
  });

  it('waits on nothing when the manifests hold no workloads, and reads a kustomization', async () => {
    const h = harness();
    writeManifests(h, {
      'kustomization.yaml': 'resources: [service.yaml]\ncommonLabels: { tier: web }\n',
      'service.yaml': SERVICE_YAML,
    });
    const entry = service(h, 'v1', { images: {} });
    await h.executor.apply(ctx(h, entry, 'dep-1'));
    expect((await getJson(h, 'service', 'web', '-n', h.namespace)).metadata.labels).toMatchObject({ tier: 'web', 'tugboat.dev/service': 'web-app' });
    expect(await h.executor.verify(ctx(h, entry, 'dep-1', 'verify'))).toMatchObject({ healthy: true, detail: '2 objects applied, no workloads to await' });
    await h.executor.compensate(ctx(h, entry, 'dep-1', 'compensate'), 'delete', null);
    await waitFor(() => namespaceGone(h), { what: 'the namespace to go' });
  });
});
