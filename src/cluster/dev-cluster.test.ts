/**
 * `tugboat dev-cluster`'s engine against the real binaries (found by global-setup): a cluster of its
 * own in a temp home, separate from the suite's shared one.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isProcessRunning } from '../system/process-group';
import { apiRequest, isApiReady, isNodeReady } from './api';
import { runDevCluster, type RunningDevCluster } from './dev-cluster';
import { readKubeconfig } from './kubeconfig';
import { waitFor } from '../../test/support/wait';

let home: string;
const started: RunningDevCluster[] = [];
beforeEach(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'tugboat-dev-cluster-test-'));
});
afterEach(async () => {
  for (const cluster of started.splice(0)) await cluster.stop();
  await fs.rm(home, { recursive: true, force: true });
});

async function run(): Promise<RunningDevCluster> {
  const cluster = await runDevCluster({ home, build: false, log: () => undefined });
  started.push(cluster);
  return cluster;
}

it('starts a control plane with a Ready fake node, reuses it, stops every process by PID, and keeps its data across a restart', async () => {
  const first = await run();
  expect(first.reused).toBe(false);
  const access = await readKubeconfig(first.kubeconfig);
  expect(access).toBeDefined();
  expect(await isApiReady(access!)).toBe(true);
  expect(await isNodeReady(access!, 'tugboat-node-0')).toBe(true);
  // KWOK renews the node's lease: the controller manager's heartbeat. Without one, the node went
  // NotReady for seconds every minute, its pods were marked not ready, and rollouts hung.
  const lease = await waitFor(
    async () => {
      const res = await apiRequest(access!, 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/tugboat-node-0');
      return res.status === 200 ? (JSON.parse(res.body) as { spec: { leaseDurationSeconds?: number; renewTime?: string } }) : undefined;
    },
    { what: "the fake node's lease", timeoutMs: 15_000 },
  );
  expect(lease.spec).toMatchObject({ leaseDurationSeconds: 40, renewTime: expect.any(String) });
  // The kubeconfig carries an admin token: private to its user.
  expect((await fs.stat(first.kubeconfig)).mode & 0o077).toBe(0);

  const created = await apiRequest(access!, 'POST', '/api/v1/namespaces/default/configmaps', {
    metadata: { name: 'survives-restart' },
    data: { answer: '42' },
  });
  expect(created.status).toBe(201);

  const second = await run();
  expect(second.reused).toBe(true);
  expect(second.kubeconfig).toBe(first.kubeconfig);
  await second.stop(); // not ours: leaves the cluster running
  expect(await isApiReady(access!)).toBe(true);

  const pids = Object.values(first.pids ?? {});
  expect(pids).toHaveLength(5);
  await first.stop();
  expect(pids.filter(isProcessRunning)).toEqual([]);
  expect(await isApiReady(access!)).toBe(false);

  const third = await run();
  expect(third.reused).toBe(false);
  expect(third.server).toBe(first.server); // the same port: an exported KUBECONFIG stays valid
  const read = await apiRequest(access!, 'GET', '/api/v1/namespaces/default/configmaps/survives-restart');
  expect(JSON.parse(read.body)).toMatchObject({ data: { answer: '42' } });
});
