/**
 * The helm executor against the suite's dev cluster (a real API server, controller manager and
 * scheduler; KWOK marks scheduled pods Ready, so rollouts complete) and a real helm, with the
 * chart under ./testdata/web. Each test works in a namespace of its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { serviceSchema } from '../../manifest/schema';
import { runCommand } from '../../system/process';
import { helmPath, kubeEnv, kubectlPath } from '../../../test/support/kube-env';
import { uniqueName } from '../../../test/support/temporal-env';
import { waitFor } from '../../../test/support/wait';
import { PermanentDeployError, TransientDeployError } from '../errors';
import { tempDir, testContext, testDependencies } from '../testing';
import type { Executor, ExecutorDependencies } from '../types';
import { ReleaseNotReadyError } from './classify';
import { helmConfigSchema } from './schema';
import { helmExecutor } from '.';

const PASSWORD = 'correct-horse-battery-staple';
const UNSCHEDULABLE = { 'tugboat.test/nowhere': 'true' };

interface Harness {
  dataDir: string;
  deps: ExecutorDependencies;
  executor: Executor;
  /** Every argv helm was started with (a wrapper script logs it, then execs the real helm). */
  argvLog: string;
}

function harness(): Harness {
  const dataDir = tempDir('helm');
  const argvLog = path.join(dataDir, 'argv.log');
  const wrapper = path.join(dataDir, 'helm-wrapper.sh');
  fs.writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec '${helmPath()}' "$@"\n`, { mode: 0o755 });
  const env = kubeEnv({ TUGBOAT_HELM_PATH: wrapper, HELM_TEST_PASSWORD: PASSWORD });
  const deps = testDependencies(dataDir, { env });
  return { dataDir, deps, executor: helmExecutor.create(deps), argvLog };
}

const namespaces: string[] = [];
function namespace(): string {
  const ns = uniqueName('helm');
  namespaces.push(ns);
  return ns;
}
afterAll(async () => {
  if (namespaces.length) await kubectl(['delete', 'namespace', '--wait=false', '--ignore-not-found', ...namespaces]);
});

function web(ns: string, version: string, config: Record<string, unknown> = {}) {
  return {
    name: 'web',
    type: 'kubernetes',
    executor: 'helm',
    version,
    config: { chart: './testdata/web', namespace: ns, values: { greeting: `hello ${version}` }, wait: { timeout: '60s' }, ...config },
  };
}

function ctx(h: Harness, service: Record<string, unknown>, opts: Parameters<typeof testContext>[1] & { id?: string } = {}) {
  const id = opts.id ?? 'dep-1';
  return testContext(service, { env: h.deps.env, ...opts, deployment: { id, name: 'shop', environment: 'dev', baseDir: __dirname } });
}

async function kubectl(args: string[]): Promise<string> {
  const result = await runCommand([kubectlPath(), ...args], { env: kubeEnv() });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function helm(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCommand([helmPath(), ...args], { env: kubeEnv() });
}

async function history(ns: string, release = 'web'): Promise<Array<{ revision: number; status: string }>> {
  const result = await helm(['history', release, '-n', ns, '-o', 'json']);
  return result.code === 0 ? (JSON.parse(result.stdout) as Array<{ revision: number; status: string }>) : [];
}

/** The Deployment's image and whether its rollout of that image is complete. */
async function deployment(ns: string): Promise<{ image: string; rolledOut: boolean } | null> {
  const out = await kubectl(['get', 'deployment', 'web', '-n', ns, '-o', 'json', '--ignore-not-found']);
  if (!out.trim()) return null;
  const d = JSON.parse(out) as {
    metadata: { generation: number };
    spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } };
    status: { observedGeneration?: number; updatedReplicas?: number; readyReplicas?: number };
  };
  const rolledOut = d.status.observedGeneration === d.metadata.generation && d.status.updatedReplicas === d.spec.replicas && d.status.readyReplicas === d.spec.replicas;
  return { image: d.spec.template.spec.containers[0].image, rolledOut };
}

/** The running-command record of the helm a step started: its process group. */
function runningGroup(h: Harness): Promise<number> {
  const dir = path.join(h.dataDir, 'helm', 'running');
  return waitFor(
    () => {
      const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
      return files.length ? (JSON.parse(fs.readFileSync(path.join(dir, files[0]), 'utf8')) as { pgid: number }).pgid : undefined;
    },
    { what: 'a running helm to be recorded', timeoutMs: 20_000 },
  );
}

/** What a worker killed mid-upgrade leaves: helm's whole group SIGKILLed while it waits, the release pending. */
async function killWhilePending(h: Harness, ns: string, status: string, step: Promise<unknown>): Promise<void> {
  step.catch(() => undefined); // asserted by the caller
  await waitFor(async () => (await history(ns)).at(-1)?.status === status, { what: `the release to be ${status}`, timeoutMs: 30_000, intervalMs: 200 });
  process.kill(-(await runningGroup(h)), 'SIGKILL');
  await expect(step).rejects.toBeInstanceOf(TransientDeployError); // killed by a signal it was not sent: nothing says the change is bad
  expect((await history(ns)).at(-1)?.status).toBe(status);
}

function allFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('helm executor', () => {
  it('its examples are valid service entries with valid configs', () => {
    for (const example of helmExecutor.examples) {
      const [entry] = parseDocument(example).toJS() as Array<{ config: unknown }>;
      expect(serviceSchema.parse(entry).executor).toBe('helm');
      expect(helmConfigSchema.safeParse(entry.config).success).toBe(true);
    }
  });

  it('installs a release, verifies it, lists it, and uninstalls it when its deployment rolls back', async () => {
    const h = harness();
    const ns = namespace();
    const service = web(ns, 'v1');
    const signal = new AbortController().signal;
    expect(await h.executor.snapshot(ctx(h, service), signal)).toBeNull();

    const applied = await h.executor.apply(ctx(h, service));
    expect(applied).toMatchObject({ outcome: 'created', version: 'v1', outputs: { release: 'web', namespace: ns, revision: '1', chart_version: '0.1.0' } });
    expect(applied.resources).toEqual([
      { id: `helm:${ns}/web`, kind: 'HelmRelease' },
      { id: `${ns}/ConfigMap/web-config`, kind: 'ConfigMap' },
      { id: `${ns}/Deployment.apps/web`, kind: 'Deployment' },
    ]);
    // --wait awaited the rollout: the version reached the image tag through image.tag.
    expect(await deployment(ns)).toEqual({ image: 'registry.example.com/web:v1', rolledOut: true });
    expect(await h.executor.verify(ctx(h, service, { step: 'verify' }))).toMatchObject({ healthy: true, version: 'v1' });

    const inventory = await h.executor.inventory(ctx(h, service).deployment, [serviceSchema.parse(service)], signal);
    expect(inventory.items).toEqual(applied.resources.map((r) => ({ ...r, service: 'web', deploymentId: 'dep-1' })));

    const undo = await h.executor.compensate(ctx(h, service, { step: 'compensate' }), 'delete', null);
    expect(undo).toEqual({ action: 'delete', outcome: 'deleted', resources: [] });
    expect(await history(ns)).toEqual([]);
    expect(await deployment(ns)).toBeNull();
    expect(await h.deps.serviceState.getServiceState({ name: 'shop', environment: 'dev', service: 'web' })).toBeUndefined();
    expect((await h.executor.inventory(ctx(h, service).deployment, [serviceSchema.parse(service)], signal)).items).toEqual([]);
    // Idempotent: a re-run after its worker died finds nothing left to uninstall.
    expect(await h.executor.compensate(ctx(h, service, { step: 'compensate' }), 'delete', null)).toMatchObject({ outcome: 'noop' });
  });

  it('rolls an upgrade back to the revision its snapshot saw, the rollout awaited', async () => {
    const h = harness();
    const ns = namespace();
    await h.executor.apply(ctx(h, web(ns, 'v1'), { id: 'dep-1' }));
    const previous = await h.executor.snapshot(ctx(h, web(ns, 'v2'), { id: 'dep-2' }), new AbortController().signal);
    expect(previous).toMatchObject({ version: 'v1', outputs: { revision: '1' }, detail: { release: 'web', namespace: ns, revision: 1 } });

    const upgraded = await h.executor.apply(ctx(h, web(ns, 'v2'), { id: 'dep-2' }));
    expect(upgraded).toMatchObject({ outcome: 'updated', version: 'v2', outputs: { revision: '2' } });
    expect(await deployment(ns)).toEqual({ image: 'registry.example.com/web:v2', rolledOut: true });

    const undo = await h.executor.compensate(ctx(h, web(ns, 'v2'), { id: 'dep-2', step: 'compensate' }), 'restore', previous);
    expect(undo).toMatchObject({ action: 'restore', outcome: 'restored' });
    expect(await deployment(ns)).toEqual({ image: 'registry.example.com/web:v1', rolledOut: true });
    expect(JSON.parse(await kubectl(['get', 'configmap', 'web-config', '-n', ns, '-o', 'json'])).data).toEqual({ GREETING: 'hello v1' });
    // The release is dep-1's again, as the orphan check must see it.
    const record = await h.deps.serviceState.getServiceState({ name: 'shop', environment: 'dev', service: 'web' });
    expect(record).toMatchObject({ deploymentId: 'dep-1', version: 'v1', detail: { release: 'web', revision: 3 } });
    const inventory = await h.executor.inventory(ctx(h, web(ns, 'v2'), { id: 'dep-2' }).deployment, [serviceSchema.parse(web(ns, 'v2'))], new AbortController().signal);
    expect(new Set(inventory.items.map((i) => i.deploymentId))).toEqual(new Set(['dep-1']));

    // Idempotent: a re-run (its worker died after helm rolled back) ends in the same place.
    await h.executor.compensate(ctx(h, web(ns, 'v2'), { id: 'dep-2', step: 'compensate' }), 'restore', previous);
    expect(await deployment(ns)).toEqual({ image: 'registry.example.com/web:v1', rolledOut: true });
  });

  it('passes secret values through a private file: never in argv, heartbeats, state files or outputs', async () => {
    const h = harness();
    const ns = namespace();
    const service = web(ns, 'v1', { values: { password: { secret: 'env:HELM_TEST_PASSWORD' } } });
    const heartbeats: Array<{ line?: string }> = [];
    const applied = await h.executor.apply(ctx(h, service, { heartbeats }));
    expect(applied.resources).toContainEqual({ id: `${ns}/Secret/web-credentials`, kind: 'Secret' });
    const stored = JSON.parse(await kubectl(['get', 'secret', 'web-credentials', '-n', ns, '-o', 'json'])) as { data: { password: string } };
    expect(Buffer.from(stored.data.password, 'base64').toString()).toBe(PASSWORD);

    expect(heartbeats.some((b) => /\w/.test(b.line ?? ''))).toBe(true); // helm's progress reached status
    const forms = [PASSWORD, Buffer.from(PASSWORD).toString('base64')];
    const seen = [fs.readFileSync(h.argvLog, 'utf8'), JSON.stringify(heartbeats), JSON.stringify(applied)];
    for (const file of allFiles(h.dataDir).filter((f) => f !== h.argvLog)) seen.push(fs.readFileSync(file, 'latin1'));
    for (const text of seen) for (const form of forms) expect(text).not.toContain(form);
    // The values file went with the step.
    expect(fs.readdirSync(path.join(h.dataDir, 'helm', 'values', 'dep-1'))).toEqual([]);
    expect(fs.statSync(path.join(h.dataDir, 'helm')).mode & 0o777).toBe(0o700);
  });

  it('fails a release that cannot become ready permanently, with the reason, and uninstalls it on rollback', async () => {
    const h = harness();
    const ns = namespace();
    const service = web(ns, 'v1', { values: { nodeSelector: UNSCHEDULABLE }, wait: { timeout: '4s' } });
    const failure = await h.executor.apply(ctx(h, service)).catch((err: Error) => err);
    expect(failure).toBeInstanceOf(ReleaseNotReadyError);
    expect(failure).toBeInstanceOf(PermanentDeployError);
    expect((failure as Error).message).toMatch(/context deadline exceeded/);
    expect((failure as Error).message).toMatch(/last seen while waiting: Deployment is not ready: .*web/);
    // The pods' own account, read with kubectl: helm says only how many are not ready.
    expect((failure as Error).message).toMatch(/why: Unschedulable: 0\/2 nodes are available: .*node affinity\/selector/);
    expect((failure as Error).message).not.toMatch(/\[debug\]|cobra/); // no debug prefixes or stack frames

    const verified = await h.executor.verify(ctx(h, service, { step: 'verify' }));
    expect(verified).toMatchObject({ healthy: false, detail: expect.stringMatching(/revision 1 is failed: .*context deadline exceeded/) });
    expect(await h.executor.compensate(ctx(h, service, { step: 'compensate' }), 'delete', null)).toMatchObject({ outcome: 'deleted' });
    expect(await history(ns)).toEqual([]);
  });

  describe('a helm killed mid-operation (its worker died)', () => {
    it('a retry waits for the previous attempt\'s helm, then removes the install it left pending and installs afresh', async () => {
      const h = harness();
      const ns = namespace();
      const first = h.executor.apply(ctx(h, web(ns, 'v1', { values: { nodeSelector: UNSCHEDULABLE } })));
      first.catch(() => undefined);
      await waitFor(async () => (await history(ns)).at(-1)?.status === 'pending-install', { what: 'a pending install', timeoutMs: 30_000, intervalMs: 200 });
      const pgid = await runningGroup(h);

      const heartbeats: Array<{ line?: string }> = [];
      const retry = h.executor.apply(ctx(h, web(ns, 'v1'), { heartbeats }));
      await waitFor(() => heartbeats.some((b) => b.line?.includes(`process group ${pgid}`)), { what: 'the retry to wait for the first helm' });
      process.kill(-pgid, 'SIGKILL');
      await expect(first).rejects.toBeInstanceOf(TransientDeployError);

      expect(await retry).toMatchObject({ outcome: 'created', outputs: { revision: '1' } });
      expect(await history(ns)).toEqual([expect.objectContaining({ revision: 1, status: 'deployed' })]);
      expect(await deployment(ns)).toEqual({ image: 'registry.example.com/web:v1', rolledOut: true });
    });

    it('a rollback of an install left pending uninstalls it', async () => {
      const h = harness();
      const ns = namespace();
      const stuck = h.executor.apply(ctx(h, web(ns, 'v1', { values: { nodeSelector: UNSCHEDULABLE } })));
      await killWhilePending(h, ns, 'pending-install', stuck);
      expect(await h.executor.snapshot(ctx(h, web(ns, 'v1')), new AbortController().signal)).toBeNull();
      expect(await h.executor.compensate(ctx(h, web(ns, 'v1'), { step: 'compensate' }), 'delete', null)).toMatchObject({ outcome: 'deleted' });
      expect(await history(ns)).toEqual([]);
      expect(await deployment(ns)).toBeNull();
    });

    it('a rollback repairs an upgrade left pending, then restores the revision before it', async () => {
      const h = harness();
      const ns = namespace();
      await h.executor.apply(ctx(h, web(ns, 'v1'), { id: 'dep-1' }));
      const previous = await h.executor.snapshot(ctx(h, web(ns, 'v2'), { id: 'dep-2' }), new AbortController().signal);
      const stuck = h.executor.apply(ctx(h, web(ns, 'v2', { values: { nodeSelector: UNSCHEDULABLE } }), { id: 'dep-2' }));
      await killWhilePending(h, ns, 'pending-upgrade', stuck);
      // The snapshot of a release left pending is the revision deployed before it.
      expect(await h.executor.snapshot(ctx(h, web(ns, 'v2'), { id: 'dep-2' }), new AbortController().signal)).toMatchObject({ detail: { revision: 1 } });

      const undo = await h.executor.compensate(ctx(h, web(ns, 'v2'), { id: 'dep-2', step: 'compensate' }), 'restore', previous);
      expect(undo).toMatchObject({ outcome: 'restored' });
      expect((await history(ns)).at(-1)).toMatchObject({ status: 'deployed' });
      expect(await deployment(ns)).toEqual({ image: 'registry.example.com/web:v1', rolledOut: true });
      expect(await h.executor.verify(ctx(h, web(ns, 'v1'), { step: 'verify' }))).toMatchObject({ healthy: true });
    });
  });

  it('preflight names a missing chart, a missing values file and an unreachable cluster', async () => {
    const h = harness();
    const service = web('preflight', 'v1', { chart: './testdata/none', values_files: ['./testdata/web/values.yaml', './missing.yaml'] });
    const target = ctx(h, service);
    expect(await h.executor.preflight!(ctx(h, web('preflight', 'v1')), new AbortController().signal)).toEqual([]);
    expect((await h.executor.preflight!(target, new AbortController().signal)).map((p) => p.path)).toEqual(['config.chart', 'config.values_files[1]']);

    const unreachable = path.join(h.dataDir, 'kubeconfig');
    fs.writeFileSync(
      unreachable,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
    );
    const offline = helmExecutor.create({ ...h.deps, env: { ...h.deps.env, KUBECONFIG: unreachable } });
    const problems = await offline.preflight!(ctx(h, web('preflight', 'v1')), new AbortController().signal);
    expect(problems).toEqual([expect.objectContaining({ path: 'executor', message: expect.stringMatching(/cluster does not answer/) })]);
  });
});
