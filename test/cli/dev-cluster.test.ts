/**
 * `tugboat dev-cluster` as a user runs it: it prints `export KUBECONFIG=…` once kubectl can use the
 * cluster, a second one reuses it, and Ctrl-C (SIGTERM here) stops every process it started.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/server/dev-server';
import { isProcessRunning } from '../../src/system/process-group';
import { runCommand, startProcess, type ManagedProcess } from '../../src/system/process';
import { kubectlPath } from '../support/kube-env';
import { waitFor } from '../support/wait';

const CLI = path.resolve(__dirname, '..', '..', 'bin', 'tugboat.js');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-dev-cluster-cli-'));
const env = { ...process.env, TUGBOAT_HOME: home };
let cluster: ManagedProcess | undefined;
afterAll(async () => {
  await cluster?.stop({ graceMs: 15_000 });
  fs.rmSync(home, { recursive: true, force: true });
});

it('prints the kubeconfig to export, is reused by a second run, and stops what it started on SIGTERM', async () => {
  const port = await freePort();
  const output: string[] = [];
  cluster = startProcess([process.execPath, CLI, 'dev-cluster', '--port', String(port)], { env, onLine: (line) => output.push(line) });
  const exportLine = await waitFor(() => output.find((l) => l.startsWith('export KUBECONFIG=')), { timeoutMs: 90_000, what: 'the export line' });
  const kubeconfig = exportLine.slice('export KUBECONFIG='.length);
  expect(kubeconfig).toBe(path.join(home, 'dev-cluster', 'kubeconfig'));

  const nodes = await runCommand([kubectlPath(), 'get', 'nodes', '-o', 'json'], { env: { ...env, KUBECONFIG: kubeconfig } });
  expect(nodes.code).toBe(0);
  const ready = (JSON.parse(nodes.stdout) as { items: Array<{ status: { conditions: Array<{ type: string; status: string }> } }> }).items.map(
    (n) => n.status.conditions.find((c) => c.type === 'Ready')?.status,
  );
  expect(ready).toEqual(['True']);

  const second = await runCommand([process.execPath, CLI, 'dev-cluster', '--port', String(port)], { env });
  expect(second.code).toBe(0);
  expect(second.stdout).toContain(`already running at https://127.0.0.1:${port}`);
  expect(second.stdout).toContain(`export KUBECONFIG=${kubeconfig}`);

  const pidsLine = await waitFor(() => output.find((l) => l.includes('(PIDs ')), { what: 'the PIDs line' });
  const pids = [...pidsLine.matchAll(/ (\d+)(?=[,)])/g)].map((m) => Number(m[1]));
  expect(pids).toHaveLength(5);
  cluster.kill('SIGTERM');
  expect((await cluster.exited).code).toBe(0);
  expect(pids.filter(isProcessRunning)).toEqual([]);
});

it('teaches in --help where the binaries come from and that no container runs', async () => {
  const help = await runCommand([process.execPath, CLI, 'dev-cluster', '--help'], { env });
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/export KUBECONFIG/);
  expect(help.stdout).toMatch(/no container runs/);
  expect(help.stdout).toMatch(/npm run tools kubernetes/);
});
