/**
 * A machine dies in the middle of `helm upgrade --install --wait`: the worker and the helm it started
 * are both SIGKILLed, leaving the release `pending-install` (helm's record of an operation that never
 * ended, which refuses every later upgrade). The next worker's retry recovers the release and installs
 * it: the deployment succeeds with one deployed release and one Deployment, nothing half-installed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from '../../src/system/process';
import { isProcessRunning } from '../../src/system/process-group';
import { helmPath, kubeEnv, kubectlPath } from '../support/kube-env';
import { useWorld } from '../support/world';
import { deployFile, writeRelease } from '../support/release-file';
import { spawnWorker, type WorkerProcess } from '../support/worker-process';
import { waitFor } from '../support/wait';

const CHART = path.resolve(__dirname, '../../examples/platform/charts/frontend');
/** The suite's cluster has two KWOK nodes; this test steers its pods with a label on the second. */
const NODE = 'tugboat-node-1';

describe('worker and helm killed during helm upgrade', () => {
  const world = useWorld('helm-crash', { worker: false });
  const workers: WorkerProcess[] = [];
  const namespace = world.name;
  const holdLabel = `tugboat.dev/hold-${world.name}`;
  let dir: string;

  const helm = (...args: string[]) => runCommand([helmPath(), ...args, '--namespace', namespace], { env: kubeEnv() });
  const kubectl = (...args: string[]) => runCommand([kubectlPath(), ...args], { env: kubeEnv() });
  const releaseStatus = async () => {
    const r = await helm('status', 'frontend', '-o', 'json');
    return r.code === 0 ? (JSON.parse(r.stdout) as { info: { status: string }; version: number }) : undefined;
  };
  /** The helm process group the worker recorded before waiting on it. */
  const helmGroups = () => {
    const running = path.join(world.stateDir, 'helm', 'running');
    if (!fs.existsSync(running)) return [];
    return fs
      .readdirSync(running)
      .filter((f) => f.endsWith('.json'))
      .map((f) => (JSON.parse(fs.readFileSync(path.join(running, f), 'utf8')) as { pgid: number }).pgid);
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-helm-crash-'));
    fs.cpSync(CHART, path.join(dir, 'charts', 'frontend'), { recursive: true });
    // Until the test labels a node, no node matches: the pods stay Pending and helm keeps waiting.
    writeRelease(
      dir,
      world.name,
      `    - name: frontend
      type: kubernetes
      executor: helm
      version: "1.0.0"
      config:
        chart: ./charts/frontend
        namespace: ${namespace}
        values: { replicas: 1, nodeSelector: { ${JSON.stringify(holdLabel)}: "yes" } }
        wait: { timeout: 3m }
`,
    );
  });
  afterAll(async () => {
    for (const w of workers.splice(0)) await w.process.stop({ graceMs: 5_000 });
    await kubectl('label', 'node', NODE, `${holdLabel}-`);
    await kubectl('delete', 'namespace', namespace, '--wait=false', '--ignore-not-found');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('recovers the pending release on the next worker and installs it once', async () => {
    const first = await spawnWorker({ taskQueue: world.taskQueue, simCloudUrl: world.simCloudUrl, home: world.stateDir });
    workers.push(first);
    const { handle, deploymentId } = await deployFile(world, path.join(dir, 'release.yaml'));

    await waitFor(async () => (await releaseStatus())?.info.status === 'pending-install', {
      timeoutMs: 60_000,
      what: 'helm to record the install as pending while it waits for the pods',
    });
    const [pgid] = await waitFor(() => (helmGroups().length > 0 ? helmGroups() : undefined), { what: "the worker's record of helm's process group" });

    // The machine dies: the worker and the helm it started.
    first.process.kill('SIGKILL');
    expect((await first.process.exited).signal).toBe('SIGKILL');
    process.kill(-pgid, 'SIGKILL');
    await waitFor(() => !isProcessRunning(pgid), { what: 'helm to be gone' });
    expect((await releaseStatus())?.info.status).toBe('pending-install');

    workers.push(await spawnWorker({ taskQueue: world.taskQueue, simCloudUrl: world.simCloudUrl, home: world.stateDir }));
    const child = world.client.workflow.getHandle(`${deploymentId}.frontend`);
    await waitFor(async () => ((await child.describe()).raw.pendingActivities?.[0]?.attempt ?? 0) >= 2, {
      timeoutMs: 90_000,
      what: 'the apply to be retried on the second worker',
    });
    // Now let the pods schedule: the retried install can complete.
    expect((await kubectl('label', 'node', NODE, `${holdLabel}=yes`)).code).toBe(0);

    const result = await handle.result();
    expect(result.phase).toBe('SUCCEEDED');
    expect((await releaseStatus())?.info.status).toBe('deployed');
    // One release history with nothing pending or failed left in it, and one Deployment.
    const history = JSON.parse((await helm('history', 'frontend', '-o', 'json')).stdout) as Array<{ status: string }>;
    expect(history.filter((h) => h.status.startsWith('pending'))).toEqual([]);
    expect(history.at(-1)?.status).toBe('deployed');
    const deployments = JSON.parse((await kubectl('get', 'deployments', '-n', namespace, '-o', 'json')).stdout) as { items: Array<{ spec: { template: { spec: { containers: Array<{ image: string }> } } } }> };
    expect(deployments.items.map((d) => d.spec.template.spec.containers[0].image)).toEqual(['registry.example.com/platform/frontend:1.0.0']);
  });
});
