/**
 * The shell executor through the whole engine: an exit code listed as transient is retried with
 * the same idempotency key until it succeeds, any other fails at once; `status` shows the running
 * step's latest output line; cancelling the deployment stops the script and everything it started.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDeployment } from '../../src/client/deployments';
import { cancelUpdate } from '../../src/api/messages';
import { sendRequest } from '../../src/client/operations';
import { deploymentStatus } from '../../src/client/status';
import { validateManifestOrThrow } from '../../src/manifest/validate';
import { isProcessRunning } from '../../src/system/process-group';
import { progressOf, useWorld } from '../support/world';
import { waitFor } from '../support/wait';

describe('shell executor end to end', () => {
  const world = useWorld('shell');
  let dir: string;
  const file = (name: string) => path.join(dir, name);
  const script = (name: string, body: string) => {
    fs.writeFileSync(file(name), `#!/bin/sh\n${body}\n`);
    fs.chmodSync(file(name), 0o755);
  };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-shell-e2e-'));
    // Fails with EX_TEMPFAIL (75) until its third run, counting runs in a file.
    script('flaky.sh', `echo run >> "${file('flaky.runs')}"\n[ "$(wc -l < "${file('flaky.runs')}")" -ge 3 ] || exit 75`);
    script('broken.sh', `echo run >> "${file('broken.runs')}"\necho "no such table" >&2\nexit 2`);
    // Prints progress, starts a child, records both PIDs, then waits for a gate that never opens.
    script('slow.sh', `sleep 300 &\necho "$$ $!" > "${file('slow.pids')}"\necho "copying 3 of 7 files"\nwait`);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const deploy = (services: unknown[], name = world.name) =>
    startDeployment(
      world.client,
      validateManifestOrThrow({ deployment: { name, environment: 'test', services } }),
      { taskQueue: world.taskQueue, source: file('release.yaml') },
    );
  const runs = (name: string) => fs.readFileSync(file(name), 'utf8').trim().split('\n').length;

  it('retries a transient exit code and fails a permanent one at once', async () => {
    const retry = { max_attempts: 5, initial_interval: '10ms', maximum_interval: '10ms', jitter: false };
    const ok = await deploy([{ name: 'flaky', type: 'shell', config: { run: ['./flaky.sh'] }, retry }]);
    await ok.handle.result();
    expect((await progressOf(ok.handle)).services.flaky.steps?.apply?.attempts).toBe(3);
    expect(runs('flaky.runs')).toBe(3);

    const bad = await deploy([{ name: 'broken', type: 'shell', config: { run: ['./broken.sh'] }, retry }], `${world.name}-bad`);
    await bad.handle.result().catch(() => undefined);
    const progress = await progressOf(bad.handle);
    expect(progress.services.broken.error?.type).toBe('PermanentDeployError');
    expect(progress.services.broken.error?.message).toContain('no such table');
    expect(runs('broken.runs')).toBe(1);
  });

  it('shows the running step\'s output line in status, and cancelling stops the script and its children', async () => {
    const { handle } = await deploy(
      [{ name: 'slow', type: 'shell', config: { run: ['./slow.sh'], kill_grace: '2s' } }],
      `${world.name}-slow`,
    );
    const status = await waitFor(
      async () => {
        const s = await deploymentStatus(world.client, handle);
        return s.services.slow.activity === 'copying 3 of 7 files' ? s : undefined;
      },
      { timeoutMs: 30_000, what: 'status to show the script\'s output line' },
    );
    expect(status.services.slow.state).toBe('RUNNING');
    const pids = fs.readFileSync(file('slow.pids'), 'utf8').trim().split(' ').map(Number);
    expect(pids.every(isProcessRunning)).toBe(true);

    await sendRequest(world.client, handle, cancelUpdate, { by: 'test', reason: 'shell e2e' });
    await handle.result().catch(() => undefined);
    expect((await progressOf(handle)).phase).toBe('CANCELLED');
    await waitFor(() => pids.every((pid) => !isProcessRunning(pid)), { timeoutMs: 10_000, what: 'the script and its child to be gone' });
  });
});
