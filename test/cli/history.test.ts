/**
 * `tugboat history`, `tugboat list` and `plan`'s learned durations, as a user runs them: the built
 * CLI against the records a real worker wrote and the suite's real Temporal server's visibility.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDeployment } from '../../src/client/deployments';
import type { Manifest } from '../../src/manifest/schema';
import { runCommand } from '../../src/system/process';
import { testEnv, uniqueName } from '../support/temporal-env';
import { waitFor } from '../support/wait';
import { useWorld } from '../support/world';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'tugboat.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-history-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function tugboat(args: string[], env: NodeJS.ProcessEnv) {
  return runCommand([process.execPath, CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
}

describe('history, list and learned durations', () => {
  const world = useWorld('history');
  // An environment no other test uses, so `list --environment` sees only this test's deployments.
  const environment = uniqueName('hist-env');
  const who = 'ana@history-test';
  const cliEnv = () => ({ TUGBOAT_HOME: world.stateDir, TEMPORAL_ADDRESS: testEnv().address, TUGBOAT_TASK_QUEUE: world.taskQueue });

  /** db (300 ms) → api (100 ms), at the given versions. */
  const manifestAt = (dbVersion: string, apiVersion: string): Manifest =>
    world.manifest(
      [
        { name: 'db', type: 'terraform', version: dbVersion, simulate: { duration: '300ms' } },
        { name: 'api', type: 'kubernetes', version: apiVersion, dependencies: ['db'], simulate: { duration: '100ms' } },
      ],
      { environment },
    );

  const deploy = (manifest: Manifest) => startDeployment(world.client, manifest, { taskQueue: world.taskQueue, requestedBy: who });

  it('history is empty before the first deployment, and says how to deploy', async () => {
    const r = await tugboat(['history', `${world.name}/${environment}`], cliEnv());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`No deployments of ${world.name}/${environment} recorded in ${path.join(world.stateDir, 'state')}.`);
    expect(r.stdout).toContain('tugboat deploy <manifest>');
  });

  it('lists finished deployments newest first with versions, phase, duration and who; list and plan use the same runs', async () => {
    const first = await deploy(manifestAt('1.0.0', '2.0.0'));
    await first.handle.result();
    const second = await deploy(manifestAt('1.1.0', '2.1.0'));
    await second.handle.result();

    // history, as text
    const text = await tugboat(['history', `${world.name}/${environment}`], cliEnv());
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toBe(`${world.name}/${environment}: 2 deployments, newest first (from ${path.join(world.stateDir, 'state')})`);
    expect(lines[1]).toMatch(/^DEPLOYMENT\s+PHASE\s+DURATION\s+BY\s+STARTED\s+VERSIONS$/);
    expect(lines[2]).toMatch(new RegExp(`^${second.deploymentId}\\s+SUCCEEDED\\s+\\S+.*\\s+${who}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\s+api@2\\.1\\.0 db@1\\.1\\.0$`));
    expect(lines[3]).toMatch(new RegExp(`^${first.deploymentId}\\s+SUCCEEDED\\s+.*api@2\\.0\\.0 db@1\\.0\\.0$`));

    // history --json --limit 1
    const json = await tugboat(['history', `${world.name}/${environment}`, '--json', '--limit', '1'], cliEnv());
    expect(json.code).toBe(0);
    const history = JSON.parse(json.stdout);
    expect(history).toMatchObject({ name: world.name, environment, total: 2 });
    expect(history.deployments).toHaveLength(1);
    expect(history.deployments[0]).toMatchObject({
      id: second.deploymentId,
      phase: 'SUCCEEDED',
      requested_by: who,
      versions: { db: '1.1.0', api: '2.1.0' },
    });
    // The deployment's own duration covers both services' 400 ms of work.
    expect(history.deployments[0].duration_ms).toBeGreaterThanOrEqual(400);

    // A reference that is not <name>/<environment>: exit 2 with what to type.
    const bad = await tugboat(['history', world.name], cliEnv());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/is not <name>\/<environment>/);

    // plan: durations learned from the two runs (each service's simulate duration at least), and the ETA.
    const file = path.join(tmp, 'release.yaml');
    fs.writeFileSync(
      file,
      `deployment:
  name: ${world.name}
  environment: ${environment}
  services:
    - { name: db, type: terraform, executor: simulated, version: "1.2.0", simulate: { duration: 300ms } }
    - { name: api, type: kubernetes, executor: simulated, version: "2.2.0", dependencies: [db], simulate: { duration: 100ms } }
`,
    );
    const planned = await tugboat(['plan', file, '--json'], cliEnv());
    expect(planned.code).toBe(0);
    const { learned } = JSON.parse(planned.stdout);
    expect(learned).toMatchObject({ deployments: 2, runs: { db: 2, api: 2 }, critical_path: ['db', 'api'] });
    expect(learned.duration_ms.db).toBeGreaterThanOrEqual(300);
    expect(learned.duration_ms.api).toBeGreaterThanOrEqual(100);
    expect(learned.critical_path_ms).toBe(learned.duration_ms.db + learned.duration_ms.api);
    const planText = await tugboat(['plan', file], cliEnv());
    expect(planText.stdout).toContain(`Learned from 2 past deployments of ${world.name}/${environment}`);
    expect(planText.stdout).toMatch(/Critical path: db → api \(ETA [\d.]+(ms|s)\)/);
    // Without history (another TUGBOAT_HOME), plan prints what it always did.
    const fresh = await tugboat(['plan', file], { ...cliEnv(), TUGBOAT_HOME: path.join(tmp, 'empty-home') });
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).not.toMatch(/learned|Learned|ETA/);

    // list: a running deployment first (held mid-apply), then the finished ones.
    const third = await world.startHeld('api', 'apply', () => deploy(manifestAt('1.2.0', '2.2.0')));
    const listArgs = ['list', '--environment', environment, '--json'];
    const whileRunning = await waitFor(
      async () => {
        const r = await tugboat(listArgs, cliEnv());
        if (r.code !== 0) throw new Error(`tugboat list failed: ${r.stderr}`);
        const listed = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
        return listed.length === 3 && listed[0].id === third.deploymentId && listed[0].phase === 'DEPLOYING' ? listed : undefined;
      },
      { what: 'list to show the running deployment first, in phase DEPLOYING', timeoutMs: 30_000, intervalMs: 300 },
    );
    expect(whileRunning[0]).toMatchObject({ name: world.name, environment, status: 'RUNNING', running: true, ended_at: null });
    expect(whileRunning.slice(1).map((d) => d.id)).toEqual(expect.arrayContaining([first.deploymentId, second.deploymentId]));
    expect(whileRunning.slice(1).every((d) => d.phase === 'SUCCEEDED' && d.running === false)).toBe(true);

    // --phase filters on TugboatPhase; --name on the workflow ID.
    const succeeded = await tugboat(['list', '--environment', environment, '--phase', 'succeeded', '--name', world.name, '--json'], cliEnv());
    expect(succeeded.code).toBe(0);
    expect((JSON.parse(succeeded.stdout) as Array<{ id: string }>).map((d) => d.id).sort()).toEqual([first.deploymentId, second.deploymentId].sort());
    const otherName = await tugboat(['list', '--environment', environment, '--name', `${world.name}-x`, '--json'], cliEnv());
    expect(JSON.parse(otherName.stdout)).toEqual([]);

    await world.cloud.release('api', 'apply');
    await third.handle.result();
    const afterwards = await waitFor(
      async () => {
        const r = await tugboat(listArgs, cliEnv());
        const listed = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
        return listed.length === 3 && listed.every((d) => d.phase === 'SUCCEEDED' && !d.running) ? r : undefined;
      },
      { what: 'list to show all three deployments SUCCEEDED', timeoutMs: 30_000, intervalMs: 300 },
    );
    // The newest first once all are closed.
    expect((JSON.parse(afterwards.stdout) as Array<{ id: string }>)[0].id).toBe(third.deploymentId);
    const table = await tugboat(['list', '--environment', environment, '--limit', '2'], cliEnv());
    expect(table.stdout.trim().split('\n')).toHaveLength(3); // header + 2
    expect(table.stdout).toMatch(new RegExp(`${third.deploymentId}\\s+${world.name}/${environment}\\s+SUCCEEDED\\s`));
  });

  it('list refuses a bad phase or a value that could change the query (exit 2), before connecting', async () => {
    const phase = await tugboat(['list', '--phase', 'done'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(phase.code).toBe(2);
    expect(phase.stderr).toMatch(/--phase "done" is not a deployment phase; use one of VALIDATING, DEPLOYING, PAUSED, .*ROLLED_BACK, CANCELLED/);
    const quote = await tugboat(['list', '--environment', "prod' OR WorkflowId != '"], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(quote.code).toBe(2);
    expect(quote.stderr).toMatch(/--environment .*quotes and backslashes are not allowed/);
  });
});
