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
import { findTofu } from '../../tools/tofu';
import { dropSchemas, TEST_POSTGRES_URL, uniqueSchema, withPostgres } from '../../../test/support/postgres';
import { tempDir, testContext, testDependencies } from '../testing';
import type { Executor, ExecutorDependencies } from '../types';
import { tofuSchemaName } from './pg-state';
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

  /** A worker of its own (data dir, store instance), on the shared database. */
  async function worker(): Promise<Worker> {
    const url = new URL(TEST_POSTGRES_URL);
    url.password = PASSWORD;
    const postgres = { connectionString: url.toString(), schema };
    const store = await PgStateStore.open(postgres);
    stores.push(store);
    const dataDir = tempDir('opentofu-pg');
    const env: NodeJS.ProcessEnv = { ...process.env, TUGBOAT_TOFU_PATH: tofu };
    delete env.TF_CLI_CONFIG_FILE;
    delete env.TF_DATA_DIR;
    const deps = testDependencies(dataDir, { env, serviceState: store, postgres });
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

  it('keeps each state in a schema of its own, named within PostgreSQL\'s 63 characters', () => {
    const long = 'a'.repeat(63);
    const names = [tofuSchemaName(long, key), tofuSchemaName(long, { ...key, service: 'db' }), tofuSchemaName(long, { ...key, environment: 'prod' })];
    expect(new Set(names).size).toBe(3);
    for (const name of names) expect(name).toMatch(/^a+_tofu_[0-9a-f]{12}$/);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(63);
  });
});
