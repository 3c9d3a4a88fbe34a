/**
 * Following a deployment that has closed when no worker can answer its progress query. Once
 * closed, the query makes a worker replay the whole history: for a 2,000-service deployment (about
 * 20,000 events, issue 12 scenario 8) that took longer than the watcher waited, and `tugboat deploy`
 * exited 1 with "ended COMPLETED without reporting progress" after the deployment SUCCEEDED. A
 * worker that is gone is the same case taken to its end: the query cannot be answered at all. The
 * final phase and every service's state come from the workflow's result instead (and the record
 * it stored), so `tugboat watch` — and `tugboat deploy`, which follows the same way — still report
 * them.
 */
import path from 'node:path';
import { watchDeployment } from '../../src/cli/watch';
import { runCommand, type CommandResult } from '../../src/system/process';
import { testEnv } from '../support/temporal-env';
import { spawnWorker } from '../support/worker-process';
import { useWorld } from '../support/world';
import { DIAMOND_SERVICES } from '../support/diamond';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'tugboat.js');

/** The diamond a → (b, c) → d. */
const SERVICES = DIAMOND_SERVICES;

function tugboat(args: string[]): Promise<CommandResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: testEnv().address, TEMPORAL_NAMESPACE: testEnv().namespace };
  delete env.CI;
  return runCommand([process.execPath, CLI, ...args], { cwd: ROOT, env });
}

describe('following a closed deployment whose worker is gone', () => {
  const world = useWorld('follow-closed', { worker: false });
  const ids: Record<'succeeded' | 'failed' | 'cancelled', { deploymentId: string; workflowId: string }> = {} as never;

  beforeAll(async () => {
    // A worker of its own process, stopped by its PID once both deployments closed: after that no
    // worker polls their task queue, so no progress query of theirs can be answered.
    const worker = await spawnWorker({ taskQueue: world.taskQueue, simCloudUrl: world.simCloudUrl, home: path.join(world.stateDir, 'worker-home') });
    try {
      const succeeded = await world.deploy(world.manifest(SERVICES, { environment: 'done' }));
      const failed = await world.deploy(
        world.manifest(
          [SERVICES[0], { name: 'broken', type: 'shell', dependencies: ['alpha'], simulate: { duration: '10ms', fail_permanent: true } }],
          { environment: 'failed' },
        ),
      );
      // Cancelled through Temporal while bravo runs: its close event carries no result, only its stored record says how it ended.
      const cancelled = await world.startHeld('bravo', 'apply', () => world.deploy(world.manifest(SERVICES, { environment: 'cancelled' })));
      await cancelled.handle.cancel();
      for (const h of await world.cloud.holds()) await world.cloud.release(h.service, h.op);
      await succeeded.handle.result();
      await failed.handle.result().catch(() => undefined);
      await cancelled.handle.result().catch(() => undefined);
      ids.succeeded = succeeded;
      ids.failed = failed;
      ids.cancelled = cancelled;
    } finally {
      worker.process.kill('SIGKILL');
      await worker.process.exited;
    }
  });

  it('tugboat watch prints the final phase, every service, the record and the wall time, and exits 0', async () => {
    const r = await tugboat(['watch', ids.succeeded.deploymentId]);
    expect(r.stderr).not.toMatch(/without reporting progress/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ +[\d.]+s {2}phase SUCCEEDED$/m);
    expect(r.stdout).toMatch(new RegExp(`^${world.name} → done {3}SUCCEEDED {3}${ids.succeeded.deploymentId}$`, 'm'));
    // Wave by wave, as the plan in the start input orders them.
    expect(r.stdout).toMatch(/^wave 1\n {2}alpha +SUCCEEDED.*\nwave 2\n {2}bravo +SUCCEEDED.*\n {2}charlie +SUCCEEDED.*\nwave 3\n {2}delta +SUCCEEDED/m);
    // From the record the workflow stored as it ended: where it is, and when the run ended.
    expect(r.stdout).toMatch(/^deployment record: .*deployment\.json$/m);
    expect(r.stdout).toMatch(/, ended \d{4}-\d\d-\d\dT/);
    expect(r.stdout).toMatch(/^SUCCEEDED in [\d.]+s wall time; serial sum of service durations 0\.0s/m);
  });

  it('a rolled-back one: its phase and each service from the failure\'s result, exit 1 as tugboat status', async () => {
    const r = await tugboat(['watch', ids.failed.deploymentId]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/phase ROLLED_BACK/);
    expect(r.stdout).toMatch(/broken +ROLLED_BACK +PermanentDeployError: .*simulated permanent failure/);
    expect(r.stdout).toMatch(/alpha +ROLLED_BACK/);
    expect(r.stdout).toMatch(/^rollback DONE .*undone in order: /m);
  });

  it('a deployment cancelled through Temporal: the phase its stored record says', async () => {
    const { status, end } = await watchDeployment(world.client, world.client.workflow.getHandle(ids.cancelled.workflowId), {});
    expect(end).toBe('closed');
    expect(status).toMatchObject({ id: ids.cancelled.deploymentId, phase: 'CANCELLED' });
  });

  it('watchDeployment (what deploy follows with) ends closed with the result\'s services', async () => {
    const lines: string[] = [];
    const { status, end } = await watchDeployment(world.client, world.client.workflow.getHandle(ids.succeeded.workflowId), {
      print: (l) => lines.push(l),
    });
    expect(end).toBe('closed');
    expect(status).toMatchObject({ id: ids.succeeded.deploymentId, phase: 'SUCCEEDED', awaiting_decision: false });
    expect(Object.keys(status.services)).toEqual(['alpha', 'bravo', 'charlie', 'delta']);
    for (const s of Object.values(status.services)) {
      expect(s).toMatchObject({ state: 'SUCCEEDED', type: 'shell', started_at: expect.any(String), ended_at: expect.any(String) });
    }
    expect(lines.some((l) => /delta +SUCCEEDED/.test(l))).toBe(true);
  });
});
