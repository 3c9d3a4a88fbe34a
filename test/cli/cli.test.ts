/**
 * The built `tugboat` command as a user runs it: exit codes, JSON shapes, readable errors.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDeployment } from '../../src/client/deployments';
import { runCommand } from '../../src/system/process';
import { FileStateStore } from '../../src/state';
import { findTemporalCli } from '../../src/server/temporal-cli';
import { waitFor } from '../support/wait';
import { testEnv } from '../support/temporal-env';
import { useWorld } from '../support/world';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'tugboat.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writeManifest(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

async function tugboat(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCommand([process.execPath, CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
}

describe('tugboat plan', () => {
  it('prints the seed manifest\'s waves and critical path as JSON', async () => {
    const r = await tugboat(['plan', 'test/fixtures/seed-ecommerce.yaml', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      services: 6,
      waves: [['vpc'], ['k8s-cluster', 'rds-database'], ['backend-api', 'monitoring'], ['frontend-app']],
      critical_path: ['vpc', 'k8s-cluster', 'backend-api', 'frontend-app'],
    });
  });

  it('names the cycle and exits 2', async () => {
    const file = writeManifest(
      'cycle.yaml',
      `deployment:
  name: loop
  environment: dev
  services:
    - { name: alpha, type: shell, executor: simulated, dependencies: [gamma] }
    - { name: beta, type: shell, executor: simulated, dependencies: [alpha] }
    - { name: gamma, type: shell, executor: simulated, dependencies: [beta] }
`,
    );
    const r = await tugboat(['plan', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cycle: alpha → gamma → beta → alpha/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('lists every problem at once with its path and a fix, exit 2', async () => {
    const file = writeManifest(
      'bad.yaml',
      `deployment:
  name: shop
  environment: dev
  services:
    - { name: rds-database, type: terraform, executor: simulated }
    - { name: api, type: kubernetes, executor: simulated, dependences: [rds-database] }
    - { name: web, type: kubernetes, executor: simulated, dependencies: [rds] }
`,
    );
    const r = await tugboat(['plan', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/2 problems/);
    expect(r.stderr).toMatch(/deployment\.services\[1\]: unknown key "dependences"; did you mean "dependencies"\?/);
    expect(r.stderr).toMatch(/deployment\.services\[2\]\.dependencies\[0\]: unknown service "rds"; did you mean "rds-database"\?/);
  });

  it('reports YAML syntax errors with line and column, exit 2', async () => {
    const file = writeManifest('syntax.yaml', 'deployment:\n  name: [unclosed\n  environment: dev\n');
    const r = await tugboat(['plan', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line \d+, column \d+/);
  });

  it('treats a usage error as bad input (exit 2) and teaches in --help', async () => {
    expect((await tugboat(['plan'])).code).toBe(2);
    expect((await tugboat(['deploy', 'x.yaml', '--bogus'])).code).toBe(2);
    const help = await tugboat(['deploy', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit codes: 0 succeeded/);
  });
});

describe('tugboat deploy and status', () => {
  const world = useWorld('cli');

  const manifestText = (name: string) => `deployment:
  name: ${name}
  environment: staging
  services:
    - { name: db, type: terraform, simulate: { duration: 10ms } }
    - { name: app, type: kubernetes, dependencies: [db], simulate: { duration: 10ms } }
`;

  it('deploys, reports status as JSON, and refuses a second deploy while one runs (exit 3)', async () => {
    const env = { TEMPORAL_ADDRESS: testEnv().address, TUGBOAT_TASK_QUEUE: world.taskQueue };
    const file = writeManifest('deploy.yaml', manifestText(world.name));
    await world.cloud.hold('app', 'apply');
    const started = await tugboat(['deploy', file, '--detach', '--json'], env);
    expect(started.code).toBe(0);
    const { id, workflow_id } = JSON.parse(started.stdout);
    expect(workflow_id).toBe(`deploy-${world.name}.staging`);
    await world.cloud.waitUntilHeld('app', 'apply');

    const refused = await tugboat(['deploy', file], env);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`is already deploying (${id})`);

    await world.cloud.release('app', 'apply');
    await world.client.workflow.getHandle(workflow_id).result();
    const status = await tugboat(['status', `${world.name}/staging`, '--json'], env);
    expect(status.code).toBe(0);
    const json = JSON.parse(status.stdout);
    expect(json).toMatchObject({ id, phase: 'SUCCEEDED' });
    expect(json.services.app).toMatchObject({ state: 'SUCCEEDED', error: null });
    expect(json.services.db.resources).toHaveLength(1);
    expect(Object.keys(json.services.db)).toEqual(
      expect.arrayContaining(['state', 'attempt', 'started_at', 'ended_at', 'error', 'outputs', 'resources']),
    );
  });

  it('exits 1 and names the failed service when the deployment fails', async () => {
    const env = { TEMPORAL_ADDRESS: testEnv().address, TUGBOAT_TASK_QUEUE: world.taskQueue };
    const file = writeManifest(
      'fail.yaml',
      `deployment:
  name: ${world.name}
  environment: broken
  services:
    - { name: db, type: terraform, simulate: { duration: 10ms, fail_permanent: true } }
    - { name: app, type: kubernetes, executor: simulated, dependencies: [db] }
`,
    );
    const r = await tugboat(['deploy', file], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/db\s+ROLLED_BACK\s+PermanentDeployError/);
    expect(r.stdout).toMatch(/app\s+SKIPPED\s+not deployed: depends on db/);
    expect(r.stdout).toMatch(/db failed at \+[\d.]+s; ROLLED_BACK at \+[\d.]+s; no orphans/);
    const status = await tugboat(['status', `${world.name}/broken`, '--json'], env);
    expect(status.code).toBe(1);
    const json = JSON.parse(status.stdout);
    expect(json).toMatchObject({ phase: 'ROLLED_BACK', orphans: [], rollback: { state: 'DONE', order: ['db'] } });

    // The deployment record outlives Temporal's retention: once the server forgets the workflow
    // (simulated with an ID it never had), status reads the record from TUGBOAT_HOME/state.
    const record = JSON.parse(fs.readFileSync(json.record, 'utf8'));
    expect(record).toMatchObject({ deploymentId: json.id, phase: 'ROLLED_BACK', orphans: [] });
    const forgotten = 'dep-20200101t000000000z-aaaaaa';
    await new FileStateStore(path.join(world.stateDir, 'state')).saveDeploymentRecord({ ...record, deploymentId: forgotten });
    const fromRecord = await tugboat(['status', forgotten], { ...env, TUGBOAT_HOME: world.stateDir });
    expect(fromRecord.code).toBe(1);
    expect(fromRecord.stdout).toMatch(/from the deployment record \(Temporal no longer has workflow/);
    expect(fromRecord.stdout).toMatch(/db\s+ROLLED_BACK/);
    expect((await tugboat(['status', 'dep-20200101t000000000z-bbbbbb'], env)).code).toBe(2);
  });

  it('cancels through the CLI, refuses what makes no sense (exit 3), and validates flags (exit 2)', async () => {
    const env = { TEMPORAL_ADDRESS: testEnv().address, TUGBOAT_TASK_QUEUE: world.taskQueue };
    const file = writeManifest('cancel.yaml', manifestText(`${world.name}-c`));
    await world.cloud.hold('app', 'apply');
    const { id } = JSON.parse((await tugboat(['deploy', file, '--detach', '--json'], env)).stdout);
    await world.cloud.waitUntilHeld('app', 'apply');
    const ref = `${world.name}-c/staging`;
    expect((await tugboat(['continue-rollback', ref], env)).code).toBe(2);
    const refused = await tugboat(['accept', ref], env);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/refused: accept only applies/);
    const cancelled = await tugboat(['cancel', id, '--reason', 'test'], env);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toMatch(/cancelling/);
    await world.cloud.release('app', 'apply');
    const result = await world.client.workflow.getHandle(`deploy-${world.name}-c.staging`).result();
    expect(result.phase).toBe('CANCELLED');
  });

  it('gives up on a request no worker answers, naming the task queue', async () => {
    const nobody = `${world.taskQueue}-nobody`;
    const env = { TEMPORAL_ADDRESS: testEnv().address, TUGBOAT_TASK_QUEUE: nobody };
    // Started without its preflight: `tugboat deploy` would (rightly) refuse a queue no worker polls.
    const manifest = world.manifest(
      [
        { name: 'db', type: 'terraform', simulate: { duration: '10ms' } },
        { name: 'app', type: 'kubernetes', dependencies: ['db'], simulate: { duration: '10ms' } },
      ],
      { name: `${world.name}-n`, environment: 'staging' },
    );
    await startDeployment(world.client, manifest, { taskQueue: nobody, preflight: false });
    const r = await tugboat(['rollback', `${world.name}-n/staging`, '--timeout', '2'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`no worker polls task queue "${world.taskQueue}-nobody"`));
    await world.client.workflow.getHandle(`deploy-${world.name}-n.staging`).terminate('test cleanup');
  });
});

describe('the temporal CLI door', () => {
  const world = useWorld('tctl');

  it('queries progress and sends the rollback signal with `temporal workflow …`', async () => {
    const temporal = await findTemporalCli({ build: false });
    const address = testEnv().address;
    await world.cloud.hold('app', 'apply');
    const { handle, deploymentId } = await world.deploy(
      world.manifest([
        { name: 'db', type: 'terraform', simulate: { duration: '10ms' } },
        { name: 'app', type: 'kubernetes', dependencies: ['db'], simulate: { duration: '10ms' } },
      ]),
    );
    await world.cloud.waitUntilHeld('app', 'apply');
    const base = ['--address', address, '--namespace', 'default', '--workflow-id', handle.workflowId];
    const query = await runCommand([temporal, 'workflow', 'query', ...base, '--name', 'progress', '--output', 'json']);
    expect(query.code).toBe(0);
    expect(query.stdout).toContain(deploymentId);
    expect(query.stdout).toContain('"phase": "DEPLOYING"');

    const signal = await runCommand([
      temporal, 'workflow', 'signal', ...base, '--name', 'rollback', '--input', '{"reason":"from the temporal CLI","by":"ops"}',
    ]);
    expect(signal.code).toBe(0);
    await waitFor(async () => (await world.cloud.calls({ service: 'app', op: 'compensate' })).length > 0, {
      what: "app's compensation",
    });
    await world.cloud.release('app', 'apply');
    const result = await handle.result();
    expect(result.phase).toBe('ROLLED_BACK');
    expect(result.orphans).toEqual([]);
  });
});
