/**
 * A local Kubernetes control plane for demos and tests, as `dev-server` is for Temporal: etcd,
 * kube-apiserver, kube-controller-manager and kube-scheduler on 127.0.0.1, plus KWOK managing fake
 * nodes, so that scheduled pods become Running and Ready and rollouts complete. No container runs:
 * images are never pulled, and a pod's readiness is KWOK's say-so.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { acceptsTcp, freePort } from '../server/dev-server';
import { startProcess, type ManagedProcess, type ProcessExit } from '../system/process';
import { findControlPlane, findKwok, type ControlPlaneBinaries } from '../tools/kubernetes';
import type { FindToolOptions } from '../tools/find-tool';
import { apiRequest, isApiReady, isNodeReady } from './api';
import { readKubeconfig, writeKubeconfig, type ClusterAccess } from './kubeconfig';
import { exists } from '../system/exists';
import { ClusterLayout, ensureCredentials } from './layout';

export const DEFAULT_API_PORT = 6443;
const POLL_MS = 100;
const STOP_GRACE_MS = 10_000;
const LOG_TAIL_LINES = 15;
/** KWOK manages only nodes with this annotation, so it never touches a real node of a cluster it is pointed at. */
const KWOK_ANNOTATION = 'kwok.x-k8s.io/node';

export type DevClusterBinaries = ControlPlaneBinaries & { kwok: string };

export interface StartDevClusterOptions {
  /** Everything the cluster keeps: credentials, etcd's data, the kubeconfig, logs. */
  dataDir: string;
  /** The API server's port; undefined: the one this data dir used before, else a free one. */
  apiPort?: number;
  binaries: DevClusterBinaries;
  /** Fake nodes KWOK manages (default 1). */
  nodes?: number;
  startupTimeoutMs?: number;
  log?: (msg: string) => void;
}

export interface DevCluster {
  kubeconfig: string;
  server: string;
  /** Each component's PID, by name. */
  pids: Record<string, number>;
  /** Resolves when any component exits, whoever ended it. */
  exited: Promise<{ component: string } & ProcessExit>;
  /** Stops every component we started (SIGTERM, SIGKILL after a grace), newest first. */
  stop(): Promise<void>;
  /** SIGKILL at once, synchronously, to each component still running (for a process 'exit' handler). */
  killNow(): void;
}

interface Ports {
  api: number;
  etcdClient: number;
  etcdPeer: number;
}

export class DevClusterStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export async function startDevCluster(opts: StartDevClusterOptions): Promise<DevCluster> {
  const log = opts.log ?? (() => undefined);
  const started = Date.now();
  const deadline = started + (opts.startupTimeoutMs ?? 60_000);
  const layout = new ClusterLayout(opts.dataDir);
  const { token } = await ensureCredentials(layout);
  const ports = await choosePorts(layout, opts.apiPort);
  const access: ClusterAccess = { server: `https://127.0.0.1:${ports.api}`, caFile: layout.caBundle, token };

  const running: Array<{ component: string; process: ManagedProcess; tail: string[] }> = [];
  const stop = async () => {
    for (const { process } of [...running].reverse()) await process.stop({ graceMs: STOP_GRACE_MS });
  };
  const start = (component: string, argv: string[]) => {
    const tail: string[] = [];
    const process = startProcess(argv, {
      logFile: layout.logFile(component),
      onLine: (line) => {
        tail.push(line);
        if (tail.length > LOG_TAIL_LINES) tail.shift();
      },
    });
    running.push({ component, process, tail });
  };
  /** Polls until `ready`, failing early (with its log's tail) if a component exits meanwhile. */
  const waitUntil = async (what: string, ready: () => Promise<boolean>) => {
    const exits = running.map(({ component, process, tail }) => process.exited.then((exit) => ({ component, exit, tail })));
    let ended: Awaited<(typeof exits)[number]> | undefined;
    void Promise.race(exits).then((e) => (ended = e));
    while (!(await ready())) {
      if (ended) {
        const how = ended.exit.code !== null ? `exited ${ended.exit.code}` : `was killed by ${ended.exit.signal}`;
        throw new DevClusterStartError(`${ended.component} ${how} while waiting for ${what}:\n${ended.tail.join('\n')}\n(log: ${layout.logFile(ended.component)})`);
      }
      if (Date.now() > deadline) throw new DevClusterStartError(`timed out waiting for ${what} (logs in ${layout.logFile('')})`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };

  try {
    const { binaries } = opts;
    const etcdUrl = `http://127.0.0.1:${ports.etcdClient}`;
    const peerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
    start('etcd', [
      binaries.etcd, '--data-dir', layout.etcdDir, '--name', 'tugboat-dev',
      '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
      '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `tugboat-dev=${peerUrl}`, '--log-level', 'warn',
    ]);
    await waitUntil(`etcd on ${etcdUrl}`, () => acceptsTcp(`127.0.0.1:${ports.etcdClient}`));
    start('kube-apiserver', [
      binaries['kube-apiserver'],
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${ports.api}`,
      `--cert-dir=${layout.servingCertDir}`,
      `--token-auth-file=${layout.tokenFile}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${layout.serviceAccountPub}`,
      `--service-account-signing-key-file=${layout.serviceAccountKey}`,
      '--service-cluster-ip-range=10.96.0.0/16',
    ]);
    await waitUntil(`the API server on ${access.server}`, async () => (await exists(layout.caBundle)) && isApiReady(access));
    log(`kube-apiserver ready on ${access.server} after ${Date.now() - started} ms`);
    await writeKubeconfig(layout.kubeconfig, access);

    const kubeconfigFlag = `--kubeconfig=${layout.kubeconfig}`;
    start('kube-controller-manager', [
      binaries['kube-controller-manager'], kubeconfigFlag, '--leader-elect=false', '--secure-port=0',
      `--service-account-private-key-file=${layout.serviceAccountKey}`, `--root-ca-file=${layout.caBundle}`,
      '--use-service-account-credentials=false',
      // nodeipam needs pod CIDRs per node; KWOK gives pods their IPs itself.
      '--controllers=*,-nodeipam',
      // A fake node's heartbeat is KWOK's lease renewal; a busy machine may delay one for seconds. A node
      // judged NotReady has its pods marked not ready, which KWOK does not undo: every rollout then hangs.
      '--node-monitor-grace-period=2m',
    ]);
    start('kube-scheduler', [binaries['kube-scheduler'], kubeconfigFlag, '--leader-elect=false', '--secure-port=0']);
    start('kwok', [
      binaries.kwok, kubeconfigFlag, '--manage-all-nodes=false', `--manage-nodes-with-annotation-selector=${KWOK_ANNOTATION}=fake`,
      '--node-ip=127.0.0.1', '--cidr=10.244.0.1/16', '--server-address=127.0.0.1:0',
      // Renew each node's lease (the controller manager's heartbeat). Without it KWOK only patches node
      // status about once a minute, past the grace period: every node went NotReady for seconds each minute.
      '--node-lease-duration-seconds=40',
      // No config file: KWOK's built-in stages (nodes Ready, pods Running and Ready at once).
      '--config=/dev/null',
    ]);
    const nodes = Array.from({ length: opts.nodes ?? 1 }, (_, i) => `tugboat-node-${i}`);
    for (const node of nodes) await createFakeNode(access, node);
    await waitUntil(`KWOK to make node ${nodes.join(', ')} Ready`, async () => (await Promise.all(nodes.map((n) => isNodeReady(access, n)))).every(Boolean));
  } catch (err) {
    await stop();
    throw err;
  }

  log(`dev cluster ready after ${Date.now() - started} ms`);
  const exited = Promise.race(running.map(({ component, process }) => process.exited.then((exit) => ({ component, ...exit }))));
  const pids = Object.fromEntries(running.map(({ component, process }) => [component, process.pid]));
  const killNow = () => running.forEach(({ process }) => process.kill('SIGKILL'));
  return { kubeconfig: layout.kubeconfig, server: access.server, pids, exited, stop, killNow };
}

export interface RunDevClusterOptions extends FindToolOptions {
  /** Tugboat's state dir: the cluster lives in `<home>/dev-cluster`. */
  home: string;
  apiPort?: number;
  log: (msg: string) => void;
}

export interface RunningDevCluster {
  /** True if a cluster was already answering with this kubeconfig: then stop() leaves it alone. */
  reused: boolean;
  kubeconfig: string;
  server: string;
  pids?: Record<string, number>;
  exited?: DevCluster['exited'];
  stop(): Promise<void>;
}

function devClusterDir(home: string): string {
  return path.join(home, 'dev-cluster');
}

/** Reuse a dev cluster already answering from this home, else start one (`tugboat dev-cluster`, `up`). */
export async function runDevCluster(opts: RunDevClusterOptions): Promise<RunningDevCluster> {
  const layout = new ClusterLayout(devClusterDir(opts.home));
  const existing = await readKubeconfig(layout.kubeconfig);
  if (existing && (await isApiReady(existing))) {
    opts.log(`Using the dev cluster already running at ${existing.server}.`);
    return { reused: true, kubeconfig: layout.kubeconfig, server: existing.server, stop: async () => undefined };
  }
  const binaries = await findDevClusterBinaries(opts);
  const cluster = await startDevCluster({ dataDir: layout.root, apiPort: opts.apiPort, binaries, log: opts.log });
  return { reused: false, ...cluster };
}

/** The control plane and KWOK, found or built (the first build takes a while, and says so). */
export async function findDevClusterBinaries(opts: FindToolOptions): Promise<DevClusterBinaries> {
  // Side by side: KWOK's small build overlaps the control plane's long one.
  const [controlPlane, kwok] = await Promise.all([findControlPlane(opts), findKwok(opts)]);
  return { ...controlPlane, kwok };
}

/** Its ports: those asked for, else those this data dir used before (the kubeconfig names them), else free ones. */
async function choosePorts(layout: ClusterLayout, apiPort: number | undefined): Promise<Ports> {
  const saved = await fs.readFile(layout.portsFile, 'utf8').then((t) => JSON.parse(t) as Partial<Ports>, () => ({}) as Partial<Ports>);
  const ports: Ports = {
    api: apiPort ?? saved.api ?? (await freePort()),
    // etcd records its peer URL in its data: keep it across restarts.
    etcdClient: saved.etcdClient ?? (await freePort()),
    etcdPeer: saved.etcdPeer ?? (await freePort()),
  };
  await fs.mkdir(layout.root, { recursive: true });
  await fs.writeFile(layout.portsFile, JSON.stringify(ports));
  return ports;
}

async function createFakeNode(access: ClusterAccess, name: string): Promise<void> {
  const res = await apiRequest(access, 'POST', '/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [KWOK_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
    },
  });
  // 409: it survived in etcd from an earlier start.
  if (res.status !== 201 && res.status !== 409) throw new DevClusterStartError(`could not create the fake node ${name}: HTTP ${res.status} ${res.body}`);
}
