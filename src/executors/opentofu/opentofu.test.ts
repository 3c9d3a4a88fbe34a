/**
 * The opentofu executor against a real tofu, with modules of `terraform_data` resources (built
 * into tofu: no provider download, no network) under ./testdata.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { serviceSchema } from '../../manifest/schema';
import type { ServiceStateKey } from '../../state/types';
import { PermanentDeployError } from '../errors';
import { tempDir, testContext, testDependencies } from '../testing';
import type { Executor, ExecutorDependencies } from '../types';
import { StateLockedError } from './classify';
import { opentofuConfigSchema } from './schema';
import { opentofuExecutor } from '.';

const TOFU = process.env.TUGBOAT_TOFU_PATH ?? path.join(os.homedir(), '.cache/tugboat/tofu-1.12.6/tofu');
const DEPLOYMENT = { name: 'shop', environment: 'dev', baseDir: __dirname };
const CIDR_A = '10.0.0.0/16';
const CIDR_B = '10.1.0.0/16';

interface Harness {
  dataDir: string;
  deps: ExecutorDependencies;
  executor: Executor;
}

/** A fresh data dir; tofu's CLI config left for the executor to provide (as on a worker without one). */
function harness(extraEnv: NodeJS.ProcessEnv = {}): Harness {
  const dataDir = tempDir('opentofu');
  const env: NodeJS.ProcessEnv = { ...process.env, TUGBOAT_TOFU_PATH: TOFU, ...extraEnv };
  delete env.TF_CLI_CONFIG_FILE;
  delete env.TF_DATA_DIR;
  const deps = testDependencies(dataDir, { env });
  return { dataDir, deps, executor: opentofuExecutor.create(deps) };
}

function network(module: string, cidr: string, extra: Record<string, unknown> = {}) {
  return { name: 'network', type: 'terraform', config: { module, vars: { cidr }, ...extra } };
}

function ctx(h: Harness, service: Record<string, unknown>, opts: Parameters<typeof testContext>[1] & { id?: string } = {}) {
  return testContext(service, { env: h.deps.env, ...opts, deployment: { ...DEPLOYMENT, id: opts.id ?? 'dep-1' } });
}

const key = (service: string): ServiceStateKey => ({ name: DEPLOYMENT.name, environment: DEPLOYMENT.environment, service });
const statePath = (h: Harness, service: string) => path.join(h.dataDir, 'opentofu', 'shop.dev', service, 'terraform.tfstate');

/** tofu's state file: the resources it holds and their ids. */
function stateOf(h: Harness, service: string) {
  const state = JSON.parse(fs.readFileSync(statePath(h, service), 'utf8')) as {
    serial: number;
    resources: Array<{ type: string; name: string; instances: Array<{ attributes: { id: string; input?: { value: unknown } } }> }>;
  };
  return {
    serial: state.serial,
    resources: state.resources.map((r) => {
      const { id, input } = r.instances[0].attributes;
      return { address: `${r.type}.${r.name}`, id, input: input?.value };
    }),
  };
}

/** Every file under dir, recursively. */
function allFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

beforeAll(() => waitFor(`tofu at ${TOFU}`, () => fs.existsSync(TOFU), 10 * 60_000), 10 * 60_000);

describe('opentofu executor', () => {
  it('its examples are valid service entries with valid configs', () => {
    for (const example of opentofuExecutor.examples) {
      const [entry] = parseDocument(example).toJS() as Array<{ config: unknown }>;
      expect(serviceSchema.parse(entry).executor).toBe('opentofu');
      expect(opentofuConfigSchema.safeParse(entry.config).success).toBe(true);
    }
  });

  describe('a service through its life', () => {
    const h = harness();
    afterAll(() => fs.rmSync(h.dataDir, { recursive: true, force: true }));
    const service = network('./testdata/network', CIDR_A);
    let firstId: string;

    it('applies the module: outputs, resources, state and a snapshot of the module as applied', async () => {
      // What a worker killed mid-apply leaves behind, and another service's step in progress.
      const work = path.join(h.dataDir, 'opentofu', 'work', 'dep-1');
      fs.mkdirSync(path.join(work, 'network-apply.crashed'), { recursive: true });
      fs.writeFileSync(path.join(work, 'network-apply.crashed', 'tugboat.auto.tfvars.json'), '{"cidr":"10.9.0.0/16"}');
      fs.mkdirSync(path.join(work, 'db-apply.running'));
      const heartbeats: Array<{ line?: string }> = [];
      const result = await h.executor.apply(ctx(h, service, { heartbeats }));
      expect(result).toMatchObject({ outcome: 'created', outputs: { cidr: CIDR_A, settings: JSON.stringify({ cidr: CIDR_A, zones: 2 }) } });
      expect(result.resources).toEqual([{ id: 'network/terraform_data.net', kind: 'terraform_data' }]);
      expect(heartbeats.some((beat) => beat.line)).toBe(true);

      const state = stateOf(h, 'network');
      expect(state.resources).toEqual([expect.objectContaining({ address: 'terraform_data.net', input: CIDR_A })]);
      firstId = state.resources[0].id;

      const record = await h.deps.serviceState.getServiceState(key('network'));
      const detail = record?.detail as { snapshot: string; vars: unknown; statePath: string };
      expect(detail).toEqual({
        snapshot: expect.stringMatching(/^[0-9a-f]{64}$/),
        vars: { cidr: CIDR_A },
        statePath: statePath(h, 'network'),
        idempotencyKey: 'dep-1:network:apply',
        outcome: 'created',
        // What an unchanged redeploy compares: the applied config's hash (secret references, never values).
        configHash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      });
      expect(result.version).toBe(`sha256:${detail.snapshot.slice(0, 12)}`);
      const snapshotDir = path.join(h.dataDir, 'opentofu', 'snapshots', detail.snapshot);
      // States, snapshots and working copies: readable by the worker's user only.
      expect(fs.statSync(path.join(h.dataDir, 'opentofu')).mode & 0o777).toBe(0o700);
      expect(fs.readdirSync(snapshotDir)).toEqual(['main.tf']);
      // The working copy (with .terraform, tfvars, plan) is gone with the step, and so is the crashed attempt's.
      expect(fs.readdirSync(work)).toEqual(['db-apply.running']);
    });

    it('converges on a re-run of the same step, reporting what the first run did: no duplicate, same resource id', async () => {
      const again = await h.executor.apply(ctx(h, service));
      expect(again.outcome).toBe('created');
      expect(again.resources).toEqual([{ id: 'network/terraform_data.net', kind: 'terraform_data' }]);
      expect(stateOf(h, 'network').resources).toEqual([expect.objectContaining({ id: firstId, input: CIDR_A })]);
    });

    it('verifies, reports its inventory and snapshots it for a later restore', async () => {
      expect(await h.executor.verify(ctx(h, service, { step: 'verify' }))).toMatchObject({ healthy: true, detail: '1 resources' });
      const signal = new AbortController().signal;
      const deployment = { ...DEPLOYMENT, id: 'dep-1' };
      expect(await h.executor.inventory(deployment, [serviceSchema.parse(service)], signal)).toEqual({
        items: [{ id: 'network/terraform_data.net', kind: 'terraform_data', service: 'network', deploymentId: 'dep-1' }],
      });
      const snapshot = await h.executor.snapshot({ deployment, service: serviceSchema.parse(service) }, signal);
      expect(snapshot).toMatchObject({ outputs: { cidr: CIDR_A }, detail: { deploymentId: 'dep-1', detail: { vars: { cidr: CIDR_A } } } });
    });

    it('compensates a delete by destroying everything, then has nothing left to undo', async () => {
      const deleted = await h.executor.compensate(ctx(h, service, { step: 'compensate' }), 'delete', null);
      expect(deleted).toEqual({ action: 'delete', outcome: 'deleted', resources: [] });
      expect(stateOf(h, 'network').resources).toEqual([]);
      expect(await h.deps.serviceState.getServiceState(key('network'))).toBeUndefined();
      const signal = new AbortController().signal;
      expect(await h.executor.inventory({ ...DEPLOYMENT, id: 'dep-1' }, [serviceSchema.parse(service)], signal)).toEqual({ items: [] });
      expect(await h.executor.verify(ctx(h, service, { step: 'verify' }))).toMatchObject({ healthy: false });
      expect(await h.executor.compensate(ctx(h, service, { step: 'compensate' }), 'delete', null)).toMatchObject({ outcome: 'noop' });
    });
  });

  it('restores the module snapshot and vars that were live before', async () => {
    const h = harness();
    try {
      await h.executor.apply(ctx(h, network('./testdata/network', CIDR_A), { id: 'dep-1' }));
      const v2 = serviceSchema.parse(network('./testdata/network-v2', CIDR_B));
      const previous = await h.executor.snapshot({ deployment: { ...DEPLOYMENT, id: 'dep-2' }, service: v2 }, new AbortController().signal);
      const applied = await h.executor.apply(ctx(h, v2, { id: 'dep-2' }));
      expect(applied).toMatchObject({ outcome: 'updated', outputs: { cidr: CIDR_B } });
      expect(applied.resources.map((r) => r.id)).toEqual(['network/terraform_data.net', 'network/terraform_data.subnet']);

      const restored = await h.executor.compensate(ctx(h, v2, { id: 'dep-2', step: 'compensate' }), 'restore', previous);
      expect(restored).toEqual({ action: 'restore', outcome: 'restored', resources: [{ id: 'network/terraform_data.net', kind: 'terraform_data' }] });
      expect(stateOf(h, 'network').resources).toEqual([expect.objectContaining({ address: 'terraform_data.net', input: CIDR_A })]);
      expect(await h.deps.serviceState.getServiceState(key('network'))).toMatchObject({
        deploymentId: 'dep-1',
        version: previous?.version,
        outputs: { cidr: CIDR_A },
      });
    } finally {
      fs.rmSync(h.dataDir, { recursive: true, force: true });
    }
  });

  it('resolves a secret variable only for the step: its value is in no result, heartbeat, error or file', async () => {
    const password = 'hunter2-correct-horse-battery';
    const h = harness({ DB_PASSWORD: password });
    try {
      const heartbeats: unknown[] = [];
      const vars = { password: { secret: 'env:DB_PASSWORD' } };
      const service = { name: 'db', type: 'terraform', config: { module: './testdata/secret', vars } };
      const result = await h.executor.apply(ctx(h, service, { heartbeats }));
      expect(result.outputs).toEqual({ password_hash: '[sensitive]', user: 'admin' });
      expect((await h.deps.serviceState.getServiceState(key('db')))?.detail).toMatchObject({ vars });

      const leaky = { ...service, config: { module: './testdata/secret', vars: { ...vars, leak_and_fail: true } } };
      const error = await h.executor.apply(ctx(h, leaky, { heartbeats, id: 'dep-2' })).catch((err: Error) => err);
      expect(error).toBeInstanceOf(PermanentDeployError);
      // The value reached tofu's stderr (the provisioner printed it) and was redacted there.
      expect((error as Error).message).toContain('bad password [secret env:DB_PASSWORD]');

      for (const text of [JSON.stringify(result), JSON.stringify(heartbeats), (error as Error).message]) expect(text).not.toContain(password);
      const files = allFiles(h.dataDir);
      expect(files.some((file) => file.endsWith('terraform.tfstate'))).toBe(true);
      for (const file of files) expect([file, fs.readFileSync(file, 'utf8').includes(password)]).toEqual([file, false]);
    } finally {
      fs.rmSync(h.dataDir, { recursive: true, force: true });
    }
  });

  it('fails an invalid module permanently, with what tofu said', async () => {
    const h = harness();
    try {
      const error = await h.executor.apply(ctx(h, { name: 'broken', type: 'terraform', config: './testdata/invalid' })).catch((err: Error) => err);
      expect(error).toBeInstanceOf(PermanentDeployError);
      expect((error as Error).message).toMatch(/plan exited 1:[\s\S]*not_declared/);
      expect(fs.readdirSync(path.join(h.dataDir, 'opentofu', 'work', 'dep-1'))).toEqual([]);
    } finally {
      fs.rmSync(h.dataDir, { recursive: true, force: true });
    }
  });

  it('preflight finds a missing module, a directory without .tf files and a missing tofu', async () => {
    const h = harness();
    const signal = new AbortController().signal;
    const check = (executor: Executor, config: unknown) =>
      executor.preflight!({ deployment: { ...DEPLOYMENT, id: 'dep-1' }, service: serviceSchema.parse({ name: 'n', type: 'terraform', config }) }, signal);
    try {
      expect(await check(h.executor, './testdata/network')).toEqual([]);
      expect(await check(h.executor, { module: './testdata/nowhere' })).toEqual([
        expect.objectContaining({ path: 'config.module', message: expect.stringContaining('does not exist') }),
      ]);
      expect(await check(h.executor, './testdata')).toEqual([expect.objectContaining({ path: 'config', message: expect.stringContaining('no .tf files') })]);

      const empty = tempDir('opentofu-nothing');
      const bare = opentofuExecutor.create({ ...h.deps, env: { PATH: empty, HOME: empty, XDG_CACHE_HOME: empty } });
      expect(await check(bare, './testdata/network')).toEqual([
        { path: 'executor', message: expect.stringContaining('not found'), fix: expect.stringContaining('TUGBOAT_TOFU_PATH') },
      ]);
      fs.rmSync(empty, { recursive: true, force: true });
    } finally {
      fs.rmSync(h.dataDir, { recursive: true, force: true });
    }
  });

  it('stops tofu and everything it started when cancelled; a held lock is transient meanwhile', async () => {
    const h = harness();
    const pidfile = path.join(h.dataDir, 'sleep.pid');
    const slow = { name: 'slow', type: 'terraform', config: { module: './testdata/slow', vars: { pidfile }, kill_grace: '5s', lock_timeout: '0s' } };
    const abort = new AbortController();
    const heartbeats: unknown[] = [];
    const running = h.executor.apply(ctx(h, slow, { signal: abort.signal, heartbeats, id: 'dep-a' }));
    running.catch(() => undefined); // asserted below; not an unhandled rejection meanwhile
    try {
      await waitFor('the provisioner to start', () => fs.existsSync(pidfile) && fs.readFileSync(pidfile, 'utf8').trim() !== '');
      expect(heartbeats.length).toBeGreaterThan(0);
      const sleepPid = Number(fs.readFileSync(pidfile, 'utf8').trim());
      expect(processExists(sleepPid)).toBe(true);

      // Another deployment's apply of the same service meets the lock: worth retrying, not a failure.
      await expect(h.executor.apply(ctx(h, slow, { id: 'dep-b' }))).rejects.toBeInstanceOf(StateLockedError);

      abort.abort();
      await expect(running).rejects.toMatchObject({ name: 'AbortError' });
      await waitFor('the sleep to be gone', () => !processExists(sleepPid), 10_000);
      // tofu released the lock on its way out: cleaning up works at once.
      await expect(h.executor.compensate(ctx(h, slow, { id: 'dep-a', step: 'compensate' }), 'delete', null)).resolves.toMatchObject({
        action: 'delete',
      });
    } finally {
      abort.abort();
      await running.catch(() => undefined);
      fs.rmSync(h.dataDir, { recursive: true, force: true });
    }
  });
});
