/**
 * The operator controls as a user runs them: the built `tugboat` command against the suite's
 * Temporal server. Accepted requests are recorded with who and why; a refusal exits 3 with the
 * workflow's reason; bad flags exit 2 before anything is sent; with no worker on the task queue,
 * every control gives up after --timeout and says which queue has none and how to start one.
 */
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { approveUpdate, pauseUpdate, retryServiceUpdate } from '../../src/api/messages';
import type { OperatorRequest } from '../../src/api/progress';
import { CONTROLS, controlInput, temporalEquivalent, type Control } from '../../src/cli/commands/operate';
import { CliError, ExitCode } from '../../src/cli/exit-codes';
import { startDeployment } from '../../src/client/deployments';
import { findTemporalCli } from '../../src/server/temporal-cli';
import { runCommand } from '../../src/system/process';
import { testEnv } from '../support/temporal-env';
import { progressOf, useWorld, waitForProgress } from '../support/world';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'tugboat.js');

function control(command: string): Control {
  const found = CONTROLS.find((c) => c.command === command);
  if (!found) throw new Error(`no control ${command}`);
  return found;
}

describe('control arguments', () => {
  const identity = () => 'ana@host';

  it('approve and reject need --service, naming the flag (bad input)', () => {
    for (const command of ['approve', 'reject']) {
      let thrown: unknown;
      try {
        controlInput(control(command), { reason: 'x' }, identity);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(CliError);
      expect((thrown as CliError).exitCode).toBe(ExitCode.badInput);
      expect((thrown as CliError).message).toMatch(new RegExp(`^${command} needs --service <name>`));
    }
    expect(() => controlInput(control('approve'), { service: '  ' }, identity)).toThrow(/needs --service/);
    expect(() => controlInput(control('retry'), { service: '' }, identity)).toThrow(/--service needs a service name/);
  });

  it('sends {service, by, reason}; --by defaults to the operator identity; retry without --service means every failed one', () => {
    expect(controlInput(control('approve'), { service: 'db', reason: 'change 42' }, identity)).toEqual({ service: 'db', by: 'ana@host', reason: 'change 42' });
    expect(controlInput(control('reject'), { service: ' db ', by: 'bob' }, identity)).toEqual({ service: 'db', by: 'bob' });
    expect(controlInput(control('retry'), {}, identity)).toEqual({ by: 'ana@host' });
    expect(controlInput(control('retry'), { service: 'api' }, identity)).toEqual({ service: 'api', by: 'ana@host' });
    expect(controlInput(control('pause'), { by: 'ops', reason: 'window' }, identity)).toEqual({ by: 'ops', reason: 'window' });
  });

  it('every control sends its own update, and the temporal equivalent names it', () => {
    expect(control('pause').update).toBe(pauseUpdate);
    expect(control('approve').update).toBe(approveUpdate);
    expect(control('retry').update).toBe(retryServiceUpdate);
    expect(temporalEquivalent(control('retry'), { by: 'ops' })).toBe(
      `temporal workflow update execute --workflow-id deploy-<name>.<environment> --name retry_service --input '{"by":"ops"}'`,
    );
    expect(CONTROLS.map((c) => `${c.command}:${c.update.name}:${c.signal}`)).toEqual([
      'pause:pause:pause',
      'resume:resume:resume',
      'approve:approve:approve',
      'reject:reject:reject',
      'retry:retry_service:retry_service',
      'cancel:request_cancel:cancel',
      'rollback:request_rollback:rollback',
      'accept:accept:accept',
    ]);
  });
});

async function tugboat(args: string[], env: NodeJS.ProcessEnv = {}) {
  const started = Date.now();
  const result = await runCommand([process.execPath, CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  return { ...result, elapsedMs: Date.now() - started };
}

describe('tugboat --help of each control', () => {
  it('shows the temporal CLI update, the Web UI signal and the exit codes', async () => {
    for (const c of CONTROLS) {
      const help = await tugboat([c.command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`temporal workflow update execute --workflow-id deploy-<name>.<environment> --name ${c.update.name} --input '{`);
      expect(help.stdout).toContain(`Send Signal, name "${c.signal}"`);
      expect(help.stdout).toMatch(/Exit codes: 0 accepted, 2 bad input or no such deployment, 3 refused/);
    }
    const rollback = await tugboat(['rollback', '--help']);
    expect(rollback.stdout).toMatch(/--force/);
    const continueRollback = await tugboat(['continue-rollback', '--help']);
    expect(continueRollback.stdout).toContain('temporal workflow update execute --workflow-id deploy-shop.prod --name continue_rollback');
  });
});

describe('tugboat pause, resume, approve, reject, retry', () => {
  const world = useWorld('cli-ops');
  const env = () => ({ TEMPORAL_ADDRESS: testEnv().address, TUGBOAT_TASK_QUEUE: world.taskQueue });
  const requests = async (handle: Parameters<typeof progressOf>[0]): Promise<OperatorRequest[]> => (await progressOf(handle)).requests;

  it('pauses (a second pause is refused, exit 3), refuses what makes no sense, and resumes', async () => {
    const manifest = world.manifest(
      [
        { name: 'db', type: 'terraform', simulate: { duration: '10ms' } },
        { name: 'app', type: 'kubernetes', dependencies: ['db'], simulate: { duration: '10ms' } },
        { name: 'web', type: 'kubernetes', dependencies: ['app'], simulate: { duration: '10ms' } },
      ],
      { name: `${world.name}-p` },
    );
    const { handle, deploymentId } = await world.startHeld('app', 'apply', () => world.deploy(manifest));
    const ref = `${world.name}-p/test`;

    // The temporal CLI equivalent shown in --help is a real command, refused with the same reason.
    const temporal = await findTemporalCli({ build: false });
    const viaTemporal = await runCommand([
      temporal, 'workflow', 'update', 'execute', '--address', testEnv().address, '--namespace', testEnv().namespace,
      '--workflow-id', handle.workflowId, '--name', 'resume', '--input', '{"by":"ops"}',
    ]);
    expect(viaTemporal.code).not.toBe(0);
    expect(viaTemporal.stdout + viaTemporal.stderr).toMatch(/not paused/);

    const paused = await tugboat(['pause', ref, '--by', 'ana', '--reason', 'maintenance window'], env());
    expect(paused.stderr).toBe('');
    expect(paused.code).toBe(0);
    expect(paused.stdout).toMatch(/paused/);
    expect(paused.stdout).toContain(`follow it with: tugboat status ${ref}`);
    await waitForProgress(handle, (p) => p.phase === 'PAUSED', 'phase PAUSED');
    expect(await requests(handle)).toContainEqual(
      expect.objectContaining({ kind: 'pause', by: 'ana', reason: 'maintenance window', via: 'update', outcome: 'accepted' }),
    );

    const again = await tugboat(['pause', deploymentId], env());
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/^error: refused: .*already paused/m);

    const noService = await tugboat(['approve', ref, '--reason', 'ok'], env());
    expect(noService.code).toBe(2);
    expect(noService.stderr).toMatch(/approve needs --service <name>/);

    const notAwaiting = await tugboat(['approve', ref, '--service', 'db'], env());
    expect(notAwaiting.code).toBe(3);
    expect(notAwaiting.stderr).toMatch(/refused: db is not awaiting approval/);

    const notFailed = await tugboat(['retry', ref, '--service', 'db'], env());
    expect(notFailed.code).toBe(3);
    expect(notFailed.stderr).toMatch(/refused: retry applies to a HALTED deployment/);

    // Refused updates leave no trace: only the pause is recorded.
    expect((await requests(handle)).map((r) => r.kind)).toEqual(['pause']);

    // Paused: app finishes, web (which depends on it) does not start.
    await world.cloud.release('app', 'apply');
    const afterApp = await waitForProgress(handle, (p) => p.services.app.state === 'SUCCEEDED', 'app SUCCEEDED while paused');
    expect(afterApp.phase).toBe('PAUSED');
    expect(['PENDING', 'WAITING']).toContain(afterApp.services.web.state);

    const resumed = await tugboat(['resume', ref, '--reason', 'window over'], env());
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/resumed/);
    const result = await handle.result();
    expect(result.phase).toBe('SUCCEEDED');
    expect(result.services.web.state).toBe('SUCCEEDED');
    const resume = (await requests(handle)).find((r) => r.kind === 'resume');
    expect(resume).toMatchObject({ reason: 'window over', via: 'update', outcome: 'accepted' });
    expect(resume?.by).toMatch(/.@./); // user@host by default

    const ended = await tugboat(['pause', ref], env());
    expect(ended.code).toBe(3);
    expect(ended.stderr).toMatch(/refused: .* is not running \(its workflow is COMPLETED\)/);
  });

  it('approves a service awaiting approval, recording who and why', async () => {
    const manifest = world.manifest(
      [
        { name: 'db', type: 'terraform', simulate: { duration: '10ms' }, approval: { required: true, timeout: '10m' } },
        { name: 'app', type: 'kubernetes', dependencies: ['db'], simulate: { duration: '10ms' } },
      ],
      { name: `${world.name}-a` },
    );
    const { handle } = await world.deploy(manifest);
    const ref = `${world.name}-a/test`;
    await waitForProgress(handle, (p) => p.services.db.state === 'AWAITING_APPROVAL', 'db AWAITING_APPROVAL');

    const wrong = await tugboat(['approve', ref, '--service', 'app'], env());
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/refused: app is not awaiting approval.*awaiting approval: db/);

    const approved = await tugboat(['approve', ref, '--service', 'db', '--by', 'ana', '--reason', 'change 42'], env());
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/approved db/);
    const result = await handle.result();
    expect(result.phase).toBe('SUCCEEDED');
    const progress = await progressOf(handle);
    expect(progress.approvals?.db?.at(-1)).toMatchObject({ outcome: 'approved', by: 'ana', reason: 'change 42' });
    expect(progress.requests).toContainEqual(expect.objectContaining({ kind: 'approve', service: 'db', by: 'ana', outcome: 'accepted' }));
  });

  it('rejects a gated service: it fails and the deployment rolls back', async () => {
    const manifest = world.manifest(
      [
        { name: 'db', type: 'terraform', simulate: { duration: '10ms' } },
        { name: 'app', type: 'kubernetes', dependencies: ['db'], simulate: { duration: '10ms' }, approval: { required: true, timeout: '10m' } },
      ],
      { name: `${world.name}-r` },
    );
    const { handle } = await world.deploy(manifest);
    const ref = `${world.name}-r/test`;
    await waitForProgress(handle, (p) => p.services.app.state === 'AWAITING_APPROVAL', 'app AWAITING_APPROVAL');
    const rejected = await tugboat(['reject', ref, '--service', 'app', '--by', 'bob', '--reason', 'not today'], env());
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toMatch(/rejected app/);
    const failed = await handle.result().catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(WorkflowFailedError);
    expect((failed as WorkflowFailedError).cause?.message).toMatch(/app failed: rejected by bob: not today/);
    const progress = await progressOf(handle);
    expect(progress.phase).toBe('ROLLED_BACK');
    expect(progress.approvals?.app?.at(-1)).toMatchObject({ outcome: 'rejected', by: 'bob', reason: 'not today' });
  });

  it('retries a HALTED deployment after its fault is cleared', async () => {
    const manifest = world.manifest(
      [
        { name: 'db', type: 'terraform', simulate: { duration: '10ms' } },
        { name: 'app', type: 'kubernetes', dependencies: ['db'], simulate: { duration: '10ms', fail_permanent: true } },
      ],
      { name: `${world.name}-h`, strategy: { on_failure: 'halt' } },
    );
    const { handle } = await world.deploy(manifest);
    const ref = `${world.name}-h/test`;
    await waitForProgress(handle, (p) => p.phase === 'HALTED', 'phase HALTED');

    const notFailed = await tugboat(['retry', ref, '--service', 'db'], env());
    expect(notFailed.code).toBe(3);
    expect(notFailed.stderr).toMatch(/refused: db has not failed/);

    await world.cloud.setOverride('app', { fail_permanent: false });
    const retried = await tugboat(['retry', ref, '--reason', 'fixed the image'], env());
    expect(retried.code).toBe(0);
    expect(retried.stdout).toMatch(/retrying every failed service/);
    const result = await handle.result();
    expect(result.phase).toBe('SUCCEEDED');
    expect((await requests(handle)).filter((r) => r.kind === 'retry_service')).toEqual([
      expect.objectContaining({ reason: 'fixed the image', via: 'update', outcome: 'accepted' }),
    ]);
  });
});

describe('tugboat rollback of a deployment that already ended', () => {
  const world = useWorld('cli-rollrel');

  it('is refused (exit 3) for an older release while a newer one exists, and rolls back the latest', async () => {
    // The CLI reads the deployment records where this world's worker writes them.
    const env = { TEMPORAL_ADDRESS: testEnv().address, TUGBOAT_TASK_QUEUE: world.taskQueue, TUGBOAT_HOME: world.stateDir };
    const ids: string[] = [];
    for (const version of ['v1', 'v2']) {
      const manifest = world.manifest([
        { name: 'db', type: 'terraform', version, simulate: { duration: '10ms' } },
        { name: 'app', type: 'kubernetes', version, dependencies: ['db'], simulate: { duration: '10ms' } },
      ]);
      const { handle, deploymentId } = await world.deploy(manifest);
      expect((await handle.result()).phase).toBe('SUCCEEDED');
      ids.push(deploymentId);
    }

    const older = await tugboat(['rollback', ids[0]], env);
    expect(older.code).toBe(3);
    expect(older.stderr).toMatch(new RegExp(`^error: refused: .*came after ${ids[0]}`));
    expect(older.stderr).toContain(ids[1]);
    expect(older.stderr).toContain('--force');

    const latest = await tugboat(['rollback', `${world.name}/test`, '--by', 'ana', '--reason', 'v2 is slow'], env);
    expect(latest.stderr).toBe('');
    expect(latest.code).toBe(0);
    expect(latest.stdout).toContain(`rolling back ${ids[1]}`);
    const rollbackId = /follow it with: tugboat status (dep-\S+)/.exec(latest.stdout)?.[1];
    expect(rollbackId).toBeDefined();
    const result = await world.client.workflow.getHandle(`deploy-${world.name}.test`).result();
    expect(result).toMatchObject({ deploymentId: rollbackId, phase: 'ROLLED_BACK' });
    expect(result.rollback?.reason).toMatch(/requested by ana: v2 is slow/);
    expect((await world.cloud.getService('app'))?.version).toBe('v1');
  });
});

describe('a control with no worker on the task queue', () => {
  const world = useWorld('cli-noworker');

  it('gives up after --timeout for every control, naming the task queue and `tugboat worker`', async () => {
    const nobody = `${world.taskQueue}-nobody`;
    const env = { TEMPORAL_ADDRESS: testEnv().address, TUGBOAT_TASK_QUEUE: nobody };
    // Started without its preflight: `tugboat deploy` would (rightly) refuse a queue no worker polls.
    const manifest = world.manifest([{ name: 'db', type: 'terraform', simulate: { duration: '10ms' } }], { name: `${world.name}-n` });
    await startDeployment(world.client, manifest, { taskQueue: nobody, preflight: false });
    const ref = `${world.name}-n/test`;
    const timeoutSeconds = 2;
    const commands = [
      ['pause'],
      ['resume'],
      ['approve', '--service', 'db'],
      ['reject', '--service', 'db'],
      ['retry'],
      ['cancel'],
      ['rollback'],
      ['accept'],
      ['continue-rollback', '--retry'],
    ];
    try {
      for (const [command, ...flags] of commands) {
        const r = await tugboat([command, ref, ...flags, '--timeout', String(timeoutSeconds)], env);
        expect({ command, code: r.code }).toEqual({ command, code: ExitCode.failed });
        expect(r.stderr).toContain(`no answer in ${timeoutSeconds}s: no worker polls task queue "${nobody}"`);
        expect(r.stderr).toContain(`TUGBOAT_TASK_QUEUE=${nobody} npx tugboat worker`);
        // It waited for its deadline (not failing early for another reason) and no longer.
        expect(r.elapsedMs).toBeGreaterThanOrEqual(timeoutSeconds * 1000);
        expect(r.elapsedMs).toBeLessThan(timeoutSeconds * 1000 + 15_000);
      }
    } finally {
      await world.client.workflow.getHandle(`deploy-${world.name}-n.test`).terminate('test cleanup');
    }
  });
});
