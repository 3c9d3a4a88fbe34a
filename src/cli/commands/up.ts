import type { Command } from 'commander';
import { deployAndWatch } from '../deploy-flow';
import { onInterrupt } from '../interrupt';
import { startLocalStack } from '../local-stack';
import { loadAndPlan } from '../manifest-input';
import { renderPlan } from '../../plan';
import { findTofu } from '../../tools/tofu';
import { findHelm, findKubectl } from '../../tools/kubernetes';
import { runDevCluster } from '../../cluster/dev-cluster';
import { tugboatHome } from '../../system/paths';
import type { Manifest } from '../../manifest/schema';

/**
 * `up` is the demo path: like the Temporal CLI, OpenTofu is found or built once into the cache when
 * the manifest needs it, and handed to the embedded worker. If that fails, the preflight says so.
 */
async function provideTofu(manifest: Manifest, print: (line: string) => void): Promise<void> {
  if (!manifest.deployment.services.some((s) => s.executor === 'opentofu')) return;
  try {
    process.env.TUGBOAT_TOFU_PATH = await findTofu({ log: print });
  } catch (err) {
    print(`OpenTofu is not available: ${(err as Error).message}`);
  }
}

/**
 * kubectl and Helm likewise; and with no KUBECONFIG set, the local dev cluster (reused if running),
 * so the demo never deploys to whatever cluster ~/.kube/config happens to name. Returns how to stop
 * what it started.
 */
async function provideKubernetes(manifest: Manifest, print: (line: string) => void): Promise<() => Promise<void>> {
  const executors = new Set(manifest.deployment.services.map((s) => s.executor));
  const nothing = async () => undefined;
  if (!executors.has('kubectl') && !executors.has('helm')) return nothing;
  const provide = async (name: string, envVar: string, find: () => Promise<string>) => {
    try {
      process.env[envVar] ??= await find();
    } catch (err) {
      print(`${name} is not available: ${(err as Error).message}`);
    }
  };
  if (executors.has('kubectl')) await provide('kubectl', 'TUGBOAT_KUBECTL_PATH', () => findKubectl({ log: print }));
  if (executors.has('helm')) await provide('Helm', 'TUGBOAT_HELM_PATH', () => findHelm({ log: print }));
  if (process.env.KUBECONFIG) {
    print(`Kubernetes: the cluster of KUBECONFIG=${process.env.KUBECONFIG}`);
    return nothing;
  }
  try {
    const cluster = await runDevCluster({ home: tugboatHome(), log: print });
    process.env.KUBECONFIG = cluster.kubeconfig;
    const lifetime = cluster.reused ? '(already running)' : '(stopped when `up` ends; `tugboat dev-cluster` keeps one running)';
    print(`Kubernetes dev cluster on ${cluster.server} ${lifetime}: export KUBECONFIG=${cluster.kubeconfig} to look with kubectl`);
    return () => cluster.stop();
  } catch (err) {
    print(`The Kubernetes dev cluster did not start: ${(err as Error).message}`);
    return nothing;
  }
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description(
      'The whole thing locally: Temporal dev server + simulated cloud + worker (and OpenTofu, kubectl, Helm and a Kubernetes dev cluster when the manifest needs them), then deploy and follow.',
    )
    .argument('<manifest>', 'deployment manifest (YAML or JSON)')
    .option('--task-queue <name>', 'task queue for the embedded worker', 'tugboat')
    .option('--plain', 'print each transition as a line, even on a terminal (no live view)')
    .addHelpText(
      'after',
      '\nExamples:\n  tugboat up examples/ecommerce.yaml                 (what `npm start` runs: the simulated cloud)\n  tugboat up examples/platform/release.yaml          (real OpenTofu, scripts, kubectl and Helm)\n  tugboat up examples/platform/release-failure.yaml  (fails, then rolls all of it back)\n\nWith Kubernetes services and no KUBECONFIG set, it starts the local dev cluster (see `tugboat dev-cluster --help`);\nrun that in another terminal to keep the cluster after `up` ends. Everything it started is stopped at the end. Ctrl-C detaches: the deployment is not cancelled;\nit resumes the next time a worker runs against the same server (data in TUGBOAT_HOME).',
    )
    .action(async (path: string, opts: { taskQueue: string; plain?: boolean }) => {
      const print = (line: string) => process.stdout.write(`${line}\n`);
      const loaded = await loadAndPlan(path);
      print(renderPlan(loaded.manifest, loaded.plan));
      print('');
      await provideTofu(loaded.manifest, print);
      const stopCluster = await provideKubernetes(loaded.manifest, print);
      const stack = await startLocalStack({ print, taskQueue: opts.taskQueue }).catch(async (err: unknown) => {
        await stopCluster();
        throw err;
      });
      try {
        print('');
        const { exitCode } = await deployAndWatch({
          client: stack.client,
          loaded,
          taskQueue: stack.taskQueue,
          polledQueues: stack.queues.map((q) => q.taskQueue),
          uiBase: stack.uiUrl,
          print,
          stop: Promise.race([onInterrupt(), stack.workerStopped]),
          followIfLocked: true,
          live: !opts.plain,
        });
        process.exitCode = exitCode;
      } finally {
        await stack.stop();
        await stopCluster();
      }
    });
}
