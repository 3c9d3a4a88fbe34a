import type { Command } from 'commander';
import { DEFAULT_API_PORT, runDevCluster } from '../../cluster/dev-cluster';
import { tugboatHome } from '../../system/paths';
import { parsePort } from '../options';
import { untilInterrupted } from '../interrupt';

export function registerDevCluster(program: Command): void {
  program
    .command('dev-cluster')
    .description('Run a local Kubernetes control plane (etcd, API server, controller manager, scheduler) with KWOK fake nodes, for demos and tests.')
    .option('--port <port>', 'the API server\'s port on 127.0.0.1', parsePort, DEFAULT_API_PORT)
    .addHelpText(
      'after',
      [
        '',
        'Prints `export KUBECONFIG=<path>` once the cluster is ready; kubectl, helm and Tugboat\'s workers',
        'then use it. Data (credentials, etcd, kubeconfig, logs) lives in TUGBOAT_HOME/dev-cluster and',
        'survives a restart. A cluster already answering from that directory is reused. Ctrl-C stops it.',
        '',
        'Pods become Running and Ready on fake nodes (KWOK) and rollouts complete, but no container runs:',
        'images are never pulled. For real workloads, point KUBECONFIG (and `config.context`) at a real cluster.',
        '',
        'The binaries come from TUGBOAT_KUBE_APISERVER_PATH, TUGBOAT_ETCD_PATH, … (one per binary), or',
        'Tugboat\'s cache; the first run builds Kubernetes v1.34.4, etcd and KWOK with Go (about 15 minutes',
        'on 2 cores). `npm run tools kubernetes` does that ahead of time.',
      ].join('\n'),
    )
    .action(async (opts: { port: number }) => {
      const print = (msg: string) => process.stdout.write(`${msg}\n`);
      const cluster = await runDevCluster({ home: tugboatHome(), apiPort: opts.port, log: print });
      print(`export KUBECONFIG=${cluster.kubeconfig}`);
      if (cluster.reused) return;
      print(`dev cluster on ${cluster.server} (PIDs ${Object.entries(cluster.pids ?? {}).map(([c, pid]) => `${c} ${pid}`).join(', ')}); Ctrl-C to stop`);
      const ended = await Promise.race([untilInterrupted().then(() => undefined), cluster.exited]);
      if (ended) process.stderr.write(`${ended.component} exited (${ended.code ?? ended.signal}): stopping the rest\n`);
      await cluster.stop();
      if (ended) process.exitCode = 1;
    });
}
