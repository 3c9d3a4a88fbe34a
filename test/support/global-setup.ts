/**
 * Jest globalSetup: one in-memory Temporal dev server, one Kubernetes dev cluster and one workflow bundle
 * for the whole run (the server with its Web UI), and the local tools tests need (the Temporal CLI, OpenTofu,
 * Kubernetes, Helm; Chromium for the Web UI test, installed with apt-get when missing) found
 * or built once.
 * Bundling once matters: webpack per Worker.create would cost seconds per test on two cores.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../src/metrics';
import { findTemporalCli } from '../../src/server/temporal-cli';
import { findTofu } from '../../src/tools/tofu';
import { findHelm, findKubectl } from '../../src/tools/kubernetes';
import { findDevClusterBinaries, startDevCluster, type DevCluster } from '../../src/cluster/dev-cluster';
import { freePort, startDevServer, type DevServer } from '../../src/server/dev-server';
import { ensureChromium } from '../../scripts/ensure-chromium';
import { testEnvFilePath, type TestEnvFile } from './temporal-env';

const NAMESPACE = 'default';

/** Shared with global-teardown.ts, which jest runs in this same process. */
export interface TestServerState {
  server: DevServer;
  cluster: DevCluster;
  envFile: string;
  tmpDir: string;
  killOnExit: () => void;
}
export const STATE_KEY = Symbol.for('tugboat.jest.testServer');

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  // On a fresh machine this builds the tools once (minutes, both at once); afterwards they are file lookups.
  // The build messages go to the console so CI logs show why setup is slow.
  // Kubernetes' control plane is one build (the longest, about 15 minutes on 2 cores); helm and kwok are small.
  const log = { log: console.log };
  const [binary, tofuPath, kubeBinaries, kubectl, helm] = await Promise.all([
    findTemporalCli(log),
    findTofu({ ...log, openTofuOnly: true }),
    findDevClusterBinaries(log),
    findKubectl({ ...log, sameVersion: true }),
    findHelm(log),
    findChromiumForWebUiTest(log),
  ]);
  const tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tugboat-jest-'));
  const rootDir = path.resolve(__dirname, '..', '..');

  const [serverResult, clusterResult, bundleResult] = await Promise.allSettled([
    // With its Web UI (test/e2e/web-ui.test.ts opens it in Chromium), on a free port of its own.
    startDevServer({ binary, port: await freePort(), uiPort: await freePort(), namespace: NAMESPACE, startupTimeoutMs: 60_000 }),
    startDevCluster({ dataDir: path.join(tmpDir, 'kube'), binaries: kubeBinaries, nodes: 2, startupTimeoutMs: 90_000 }),
    bundleWorkflowCode({
      workflowsPath: require.resolve(path.join(rootDir, 'src', 'workflows')),
      // What every Tugboat worker bundles (the metrics interceptor): a worker given this bundle can't add its own.
      workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
      logger: new DefaultLogger('WARN'),
    }),
  ]);
  if (serverResult.status === 'rejected' || clusterResult.status === 'rejected' || bundleResult.status === 'rejected') {
    if (serverResult.status === 'fulfilled') await serverResult.value.stop();
    if (clusterResult.status === 'fulfilled') await clusterResult.value.stop();
    await fs.rm(tmpDir, { recursive: true, force: true });
    throw [serverResult, clusterResult, bundleResult].map((r) => (r.status === 'rejected' ? r.reason : undefined)).find(Boolean);
  }
  const server = serverResult.value;
  const cluster = clusterResult.value;

  const bundlePath = path.join(tmpDir, 'workflow-bundle.js');
  await fs.writeFile(bundlePath, bundleResult.value.code);
  const envFile = testEnvFilePath(rootDir);
  const kube = { kubeconfig: cluster.kubeconfig, kubectl, helm, pids: cluster.pids };
  const env: TestEnvFile = { address: server.address, namespace: NAMESPACE, pid: server.pid, bundlePath, tmpDir, tofuPath, kube };
  await fs.writeFile(envFile, JSON.stringify(env, null, 2));
  process.env.TUGBOAT_TEST_ENV_FILE = envFile; // inherited by jest's workers, which start after this
  process.env.TUGBOAT_TOFU_PATH = tofuPath; // likewise: findTofu() in a test then returns this one at once
  process.env.TUGBOAT_KUBECTL_PATH = kubectl;
  process.env.TUGBOAT_HELM_PATH = helm;
  if (server.uiUrl) process.env.TUGBOAT_TEST_UI_URL = server.uiUrl;
  // Every test (and every worker it starts) talks to this cluster, never to one the machine's user has configured.
  process.env.KUBECONFIG = cluster.kubeconfig;

  // If jest exits without running teardown, don't leave the server behind (but never signal a PID
  // after our server has exited: by then it may belong to someone else).
  let serverExited = false;
  void server.exited.then(() => (serverExited = true));
  const killOnExit = () => {
    if (!serverExited) killQuietly(server.pid);
    cluster.killNow(); // only components still running
  };
  process.once('exit', killOnExit);
  const state: TestServerState = { server, cluster, envFile, tmpDir, killOnExit };
  (globalThis as Record<symbol, unknown>)[STATE_KEY] = state;

  console.log(
    `\nTemporal test server at ${server.address} (PID ${server.pid}, Web UI ${server.uiUrl}); Kubernetes dev cluster at ${cluster.server}; setup took ${Date.now() - started} ms.`,
  );
}

/**
 * Chromium for the Web UI test, installed with apt-get when missing. Not a reason to fail every
 * other test: when it cannot be had, that one test looks again and fails with the reason.
 */
async function findChromiumForWebUiTest(log: { log: (msg: string) => void }): Promise<void> {
  try {
    process.env.TUGBOAT_CHROMIUM_PATH = await ensureChromium(log); // the test's ensureChromium() returns it at once
  } catch (err) {
    console.log(`\nNo Chromium for the Web UI test (it will fail): ${err instanceof Error ? err.message : String(err)}`);
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
