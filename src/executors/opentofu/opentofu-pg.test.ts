/**
 * The opentofu executor with the PostgreSQL state store, against a real tofu and the machine's
 * PostgreSQL: the state lives in OpenTofu's `pg` backend and the module snapshots in Tugboat's
 * schema, so a worker with an empty data dir restores what another worker applied.
 */
import fs from 'node:fs';
import path from 'node:path';
import { serviceSchema } from '../../manifest/schema';
import { PgStateStore } from '../../state';
import type { ServiceStateKey } from '../../state/types';
import { runCommand } from '../../system/process';
import { findTofu } from '../../tools/tofu';
import { PermanentDeployError } from '../errors';
import { dropSchemas, TEST_POSTGRES_URL, uniqueSchema, withPostgres } from '../../../test/support/postgres';
import { tempDir, testContext, testDependencies } from '../testing';
import type { Executor, ExecutorDependencies } from '../types';
import { tofuConnectionString, tofuSchemaName } from './pg-state';
import { opentofuExecutor } from '.';

const DEPLOYMENT = { name: 'shop', environment: 'dev', baseDir: __dirname };
const CIDR_A = '10.0.0.0/16';
const CIDR_B = '10.1.0.0/16';
/** In the connection string the workers get: trust auth ignores it, and it must appear nowhere. */
const PASSWORD = 'pg-password-never-logged';

interface Worker {
  dataDir: string;
  deps: ExecutorDependencies;
  executor: Executor;
  heartbeats: unknown[];
}

const key: ServiceStateKey = { name: DEPLOYMENT.name, environment: DEPLOYMENT.environment, service: 'network' };
const network = (module: string, cidr: string) => ({ name: 'network', type: 'terraform', config: { module, vars: { cidr } } });

/** The state the pg backend keeps for the service: its resources' addresses and inputs. */
async function pgStateOf(schema: string) {
  const rows = await withPostgres(async (client) => (await client.query<{ data: string }>(`SELECT data FROM "${tofuSchemaName(schema, key)}".states WHERE name = 'default'`)).rows);
  expect(rows).toHaveLength(1);
  const state = JSON.parse(rows[0].data) as { resources: Array<{ type: string; name: string; instances: Array<{ attributes: { input?: { value: unknown } } }> }> };
  return state.resources.map((r) => ({ address: `${r.type}.${r.name}`, input: r.instances[0].attributes.input?.value }));
}

/** Every file under dir, recursively. */
function allFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('opentofu executor with the PostgreSQL state store', () => {
  const schema = uniqueSchema();
  const stores: PgStateStore[] = [];
  const workers: Worker[] = [];
  let tofu: string;

  /**
   * A worker of its own (data dir, store instance), on the shared database; `files`: one without
   * PostgreSQL (its state and records as files), as before an install switched TUGBOAT_STATE.
   */
  async function worker(opts: { files?: boolean; dataDir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Worker> {
    const url = new URL(TEST_POSTGRES_URL);
    url.password = PASSWORD;
    const postgres = { connectionString: url.toString(), schema };
    const dataDir = opts.dataDir ?? tempDir('opentofu-pg');
    const env: NodeJS.ProcessEnv = { ...process.env, TUGBOAT_TOFU_PATH: tofu, ...opts.env };
    delete env.TF_CLI_CONFIG_FILE;
    delete env.TF_DATA_DIR;
    let deps: ExecutorDependencies;
    if (opts.files) deps = testDependencies(dataDir, { env });
    else {
      const store = await PgStateStore.open(postgres);
      stores.push(store);
      deps = testDependencies(dataDir, { env, serviceState: store, postgres });
    }
    const w = { dataDir, deps, executor: opentofuExecutor.create(deps), heartbeats: [] };
    workers.push(w);
    return w;
  }

  const ctx = (w: Worker, service: Record<string, unknown>, id: string, step: 'apply' | 'verify' | 'compensate' = 'apply') =>
    testContext(service, { env: w.deps.env, step, heartbeats: w.heartbeats, deployment: { ...DEPLOYMENT, id } });

  beforeAll(async () => {
    // A build in progress (the suite's global setup, or another run) is waited for.
    tofu = await findTofu({ openTofuOnly: true });
  }, 60 * 60_000);
  afterAll(async () => {
    for (const store of stores) await store.close();
    for (const w of workers) fs.rmSync(w.dataDir, { recursive: true, force: true });
    await dropSchemas(schema);
  });

  it('applies into the pg backend, and another worker with an empty data dir restores the previous module', async () => {
    const first = await worker();
    await first.executor.apply(ctx(first, network('./testdata/network', CIDR_A), 'dep-1'));
    expect(await pgStateOf(schema)).toEqual([{ address: 'terraform_data.net', input: CIDR_A }]);

    const v2 = serviceSchema.parse(network('./testdata/network-v2', CIDR_B));
    const previous = await first.executor.snapshot({ deployment: { ...DEPLOYMENT, id: 'dep-2' }, service: v2 }, new AbortController().signal);
    expect(previous).not.toBeNull();
    expect(await first.executor.apply(ctx(first, v2, 'dep-2'))).toMatchObject({ outcome: 'updated', outputs: { cidr: CIDR_B } });
    expect((await pgStateOf(schema)).map((r) => r.address)).toEqual(['terraform_data.net', 'terraform_data.subnet']);

    // The rollback lands on a worker that has never seen the module snapshot or the state.
    const second = await worker();
    const restored = await second.executor.compensate(ctx(second, v2, 'dep-2', 'compensate'), 'restore', previous);
    expect(restored).toEqual({ action: 'restore', outcome: 'restored', resources: [{ id: 'network/terraform_data.net', kind: 'terraform_data' }] });
    expect(await pgStateOf(schema)).toEqual([{ address: 'terraform_data.net', input: CIDR_A }]);
    expect(await second.deps.serviceState.getServiceState(key)).toMatchObject({ deploymentId: 'dep-1', outputs: { cidr: CIDR_A } });
    expect(await second.executor.verify(ctx(second, v2, 'dep-2', 'verify'))).toMatchObject({ healthy: true, detail: '1 resources' });

    // No state file on either worker: the state is only in PostgreSQL.
    const files = workers.flatMap((w) => allFiles(w.dataDir));
    expect(files.filter((f) => /terraform\.tfstate/.test(f))).toEqual([]);
    // The connection string's password is in no file, heartbeat or record.
    for (const file of files) expect([file, fs.readFileSync(file, 'utf8').includes(PASSWORD)]).toEqual([file, false]);
    expect(JSON.stringify([first.heartbeats, second.heartbeats, await second.deps.serviceState.getServiceState(key)])).not.toContain(PASSWORD);
  });

  it('destroys through the pg backend; with no record left, a repeat finds the state empty there and does nothing', async () => {
    const w = await worker();
    const service = network('./testdata/network', CIDR_A);
    expect(await w.executor.compensate(ctx(w, service, 'dep-3', 'compensate'), 'delete', null)).toEqual({ action: 'delete', outcome: 'deleted', resources: [] });
    expect(await pgStateOf(schema)).toEqual([]);
    expect(await w.executor.compensate(ctx(w, service, 'dep-3', 'compensate'), 'delete', null)).toMatchObject({ outcome: 'noop' });
  });

  it('an install switched to PostgreSQL with a local state still on this worker is refused with the steps that move it; after them nothing is created again', async () => {
    const svc = { name: 'moved', type: 'terraform', config: { module: './testdata/network', vars: { cidr: CIDR_A } } };
    const movedKey = { ...key, service: 'moved' };
    const before = await worker({ files: true });
    await before.executor.apply(ctx(before, svc, 'dep-m1'));
    const statePath = path.join(before.dataDir, 'opentofu', 'shop.dev', 'moved', 'terraform.tfstate');
    const idOf = (text: string) => (JSON.parse(text) as { resources: Array<{ instances: Array<{ attributes: { id: string } }> }> }).resources[0].instances[0].attributes.id;
    const id = idOf(fs.readFileSync(statePath, 'utf8'));

    // TUGBOAT_STATE now names PostgreSQL; the same machine (data dir) runs the next deployment.
    const after = await worker({ dataDir: before.dataDir });
    const error = await after.executor.apply(ctx(after, { ...svc, config: { ...svc.config, vars: { cidr: CIDR_B } } }, 'dep-m2')).catch((err: Error) => err);
    expect(error).toBeInstanceOf(PermanentDeployError);
    const message = (error as Error).message;
    expect(message).toMatch(
      new RegExp(`^refusing to run tofu for moved: this worker has a local OpenTofu state with 1 resource\\(s\\) at ${statePath} .*while its state in PostgreSQL \\(schema ${tofuSchemaName(schema, movedKey)} at .*\\) is empty: tofu would create those resources a second time\\.\\n`),
    );
    expect(message).not.toContain(PASSWORD);
    const pgState = await withPostgres(async (client) => (await client.query(`SELECT to_regclass($1) AS t`, [`"${tofuSchemaName(schema, movedKey)}".states`])).rows[0].t);
    expect(pgState).toBeNull(); // refused before tofu init: nothing made in PostgreSQL

    // The steps, exactly as the message gives them (the password left out: trust auth needs none).
    const steps = message.split('\n').filter((line) => line.startsWith('  ')).join('\n');
    expect(steps).toContain('state push');
    const scratch = tempDir('opentofu-pg-move'); // the steps' mktemp -d
    try {
      const run = await runCommand(['bash', '-euc', steps], { env: { ...after.deps.env, TF_CLI_CONFIG_FILE: '/dev/null', TMPDIR: scratch } });
      expect([run.code, run.stderr]).toEqual([0, '']);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
    expect(fs.existsSync(statePath)).toBe(false);

    expect(await after.executor.apply(ctx(after, { ...svc, config: { ...svc.config, vars: { cidr: CIDR_B } } }, 'dep-m2'))).toMatchObject({ outputs: { cidr: CIDR_B } });
    const moved = await withPostgres(async (client) => (await client.query<{ data: string }>(`SELECT data FROM "${tofuSchemaName(schema, movedKey)}".states WHERE name = 'default'`)).rows);
    expect(idOf(moved[0].data)).toBe(id); // updated in place, not created again
  });

  it('PG_CONN_STR is Tugboat\'s only for modules on its pg backend: a module with its own backend sees the operator\'s', async () => {
    const dir = tempDir('opentofu-pg-env');
    try {
      // Each module's provisioner writes what it sees; the second module keeps its state where it says.
      const probe = (seen: string) => `resource "terraform_data" "probe" {\n  provisioner "local-exec" {\n    command = "printf '%s' \\"$PG_CONN_STR\\" > ${seen}"\n  }\n}\n`;
      fs.mkdirSync(path.join(dir, 'ours'));
      fs.writeFileSync(path.join(dir, 'ours', 'main.tf'), probe(path.join(dir, 'seen-ours')));
      fs.mkdirSync(path.join(dir, 'own'));
      fs.writeFileSync(
        path.join(dir, 'own', 'main.tf'),
        `terraform {\n  backend "local" {\n    path = "${path.join(dir, 'own.tfstate')}"\n  }\n}\n${probe(path.join(dir, 'seen-own'))}`,
      );
      const w = await worker({ env: { PG_CONN_STR: 'the-operators-own' } });
      await w.executor.apply(ctx(w, { name: 'ours', type: 'terraform', config: path.join(dir, 'ours') }, 'dep-e'));
      await w.executor.apply(ctx(w, { name: 'own', type: 'terraform', config: path.join(dir, 'own') }, 'dep-e'));
      expect(fs.readFileSync(path.join(dir, 'seen-ours'), 'utf8')).toBe(tofuConnectionString({ connectionString: new URL(TEST_POSTGRES_URL).toString(), schema }, {}).replace('@', `:${PASSWORD}@`));
      expect(fs.readFileSync(path.join(dir, 'seen-own'), 'utf8')).toBe('the-operators-own');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the URL for tofu: node-postgres\' sslmode=no-verify becomes lib/pq\'s require; modes and parameters lib/pq cannot take are refused naming the setting', async () => {
    const target = (query: string) => ({ connectionString: `postgres://u:pw@db:5432/ops${query}`, schema: 'tugboat' });
    expect(tofuConnectionString(target(''), {})).toBe('postgres://u:pw@db:5432/ops?sslmode=disable');
    expect(tofuConnectionString(target(''), { PGSSLMODE: 'verify-full' })).toBe('postgres://u:pw@db:5432/ops');
    expect(tofuConnectionString(target('?sslmode=verify-ca&application_name=x'), {})).toBe('postgres://u:pw@db:5432/ops?sslmode=verify-ca&application_name=x');
    expect(tofuConnectionString(target('?sslmode=no-verify'), {})).toBe('postgres://u:pw@db:5432/ops?sslmode=require');
    expect(tofuConnectionString(target(''), { PGSSLMODE: 'no-verify' })).toBe('postgres://u:pw@db:5432/ops?sslmode=require');
    expect(tofuConnectionString(target('?uselibpqcompat=true&sslmode=require'), {})).toBe('postgres://u:pw@db:5432/ops?sslmode=require');
    const fix = 'use sslmode=disable, require (TLS, certificate not checked), verify-ca or verify-full, which both drivers read the same way';
    expect(() => tofuConnectionString(target('?sslmode=prefer'), {})).toThrow(
      new PermanentDeployError(`TUGBOAT_STATE: sslmode=prefer is not a mode OpenTofu's pg backend (lib/pq) accepts: ${fix}`),
    );
    expect(() => tofuConnectionString(target(''), { PGSSLMODE: 'allow' })).toThrow(`PGSSLMODE: sslmode=allow is not a mode OpenTofu's pg backend (lib/pq) accepts`);
    expect(() => tofuConnectionString(target('?ssl=true'), {})).toThrow(`TUGBOAT_STATE: ssl=true is node-postgres' own parameter;`);

    // Preflight says so before any step runs, for a module on Tugboat's pg backend.
    const w = await worker();
    const executor = opentofuExecutor.create({ ...w.deps, postgres: { connectionString: `${TEST_POSTGRES_URL}?sslmode=prefer`, schema } });
    const problems = await executor.preflight!({ deployment: { ...DEPLOYMENT, id: 'dep-p' }, service: serviceSchema.parse(network('./testdata/network', CIDR_A)) }, new AbortController().signal);
    expect(problems).toEqual([
      { path: 'executor', message: `TUGBOAT_STATE: sslmode=prefer is not a mode OpenTofu's pg backend (lib/pq) accepts: ${fix}`, fix: 'change TUGBOAT_STATE (or PGSSLMODE) on the workers' },
    ]);
  });

  it('keeps each state in a schema of its own, named within PostgreSQL\'s 63 characters', () => {
    const long = 'a'.repeat(63);
    const names = [tofuSchemaName(long, key), tofuSchemaName(long, { ...key, service: 'db' }), tofuSchemaName(long, { ...key, environment: 'prod' })];
    expect(new Set(names).size).toBe(3);
    for (const name of names) expect(name).toMatch(/^a+_tofu_[0-9a-f]{12}$/);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(63);
  });
});
