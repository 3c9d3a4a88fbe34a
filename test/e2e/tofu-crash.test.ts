/**
 * A worker killed with SIGKILL in the middle of a real `tofu apply`: the tofu it started runs on
 * (its own process group) and holds the state lock; the next worker's retry of the step waits for
 * that lock, then finds the resource already applied. The deployment succeeds and the resource
 * was created exactly once (its provisioner ran once).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useWorld } from '../support/world';
import { deployFile, writeRelease } from '../support/release-file';
import { spawnWorker, type WorkerProcess } from '../support/worker-process';
import { waitFor } from '../support/wait';

describe('worker killed during tofu apply', () => {
  const world = useWorld('tofu-crash', { worker: false });
  const workers: WorkerProcess[] = [];
  let dir: string;
  const gate = () => path.join(dir, 'signals', 'gate');
  const runs = () => {
    const file = path.join(dir, 'signals', 'runs.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-tofu-crash-'));
    fs.mkdirSync(path.join(dir, 'signals'));
    fs.mkdirSync(path.join(dir, 'slow'));
    // The provisioner records each run, then waits for the test's gate: an apply held mid-way.
    fs.writeFileSync(
      path.join(dir, 'slow', 'main.tf'),
      `variable "signal_dir" { type = string }
resource "terraform_data" "slow" {
  input = "v1"
  provisioner "local-exec" {
    command = "echo run >> \${var.signal_dir}/runs.log; while [ ! -f \${var.signal_dir}/gate ]; do sleep 0.1; done"
  }
}
output "id" { value = terraform_data.slow.id }
`,
    );
    writeRelease(
      dir,
      world.name,
      `    - name: slow
      type: terraform
      config:
        module: ./slow
        vars: { signal_dir: ${JSON.stringify(path.join(dir, 'signals'))} }
        lock_timeout: 2m
`,
    );
  });
  afterAll(async () => {
    // The killed worker's tofu waits on the gate: open it so that it ends too.
    fs.writeFileSync(gate(), '');
    for (const w of workers.splice(0)) await w.process.stop({ graceMs: 5_000 });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('applies the resource once and succeeds', async () => {
    const first = await spawnWorker({ taskQueue: world.taskQueue, simCloudUrl: world.simCloudUrl, home: world.stateDir });
    workers.push(first);
    const { handle, deploymentId } = await deployFile(world, path.join(dir, 'release.yaml'));
    await waitFor(() => runs().length === 1, { timeoutMs: 60_000, what: 'tofu apply to reach the provisioner' });

    first.process.kill('SIGKILL');
    expect((await first.process.exited).signal).toBe('SIGKILL');
    workers.push(await spawnWorker({ taskQueue: world.taskQueue, simCloudUrl: world.simCloudUrl, home: world.stateDir }));

    // The retry starts once the dead worker's heartbeat times out; then the first tofu may finish.
    const child = world.client.workflow.getHandle(`${deploymentId}.slow`);
    await waitFor(async () => ((await child.describe()).raw.pendingActivities?.[0]?.attempt ?? 0) >= 2, {
      timeoutMs: 60_000,
      what: 'the apply to be retried on the second worker',
    });
    fs.writeFileSync(gate(), '');

    const result = await handle.result();
    expect(result.phase).toBe('SUCCEEDED');
    expect(result.services.slow.outputs.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(runs()).toEqual(['run']);
  });
});
