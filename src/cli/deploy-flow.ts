/**
 * Start a deployment and (unless detached) follow it to the end: shared by `deploy` and `up`.
 */
import os from 'node:os';
import type { Client } from '@temporalio/client';
import { EnvironmentLockedError } from '../client/errors';
import { startDeployment } from '../client/deployments';
import type { DeploymentStatus } from '../client/status';
import { CliError, ExitCode } from './exit-codes';
import type { LoadedManifest } from './manifest-input';
import { renderStatus } from './render-status';
import { watchDeployment } from './watch';
import { webUiLink } from './web-ui';

export interface DeployFlowOptions {
  client: Client;
  loaded: LoadedManifest;
  taskQueue: string;
  detach?: boolean;
  json?: boolean;
  uiBase?: string;
  print: (line: string) => void;
  stop?: Promise<void>;
}

export async function deployAndWatch(opts: DeployFlowOptions): Promise<{ exitCode: ExitCode; status?: DeploymentStatus }> {
  const { client, loaded, print } = opts;
  const began = Date.now();
  let started;
  try {
    started = await startDeployment(client, loaded.manifest, {
      taskQueue: opts.taskQueue,
      source: loaded.source,
      requestedBy: `${os.userInfo().username}@${os.hostname()}`,
    });
  } catch (err) {
    if (err instanceof EnvironmentLockedError) throw new CliError(err.message, ExitCode.refused);
    throw err;
  }
  const link = webUiLink(opts.uiBase, client.options.namespace, started.workflowId, started.runId);
  if (opts.json && opts.detach) {
    print(JSON.stringify({ id: started.deploymentId, workflow_id: started.workflowId, run_id: started.runId }));
    return { exitCode: ExitCode.ok };
  }
  if (!opts.json) {
    print(`deployment ${started.deploymentId} started (workflow ${started.workflowId}, task queue ${opts.taskQueue})`);
    if (link) print(`Web UI: ${link}`);
  }
  if (opts.detach) {
    print(`detached; follow it with: tugboat status ${started.deploymentId}`);
    return { exitCode: ExitCode.ok };
  }
  const status = await watchDeployment(client, started.handle, { print: opts.json ? () => {} : print, stop: opts.stop });
  const done = status.phase === 'SUCCEEDED' || status.phase === 'FAILED';
  if (opts.json) {
    print(JSON.stringify(status));
  } else if (!done) {
    print(`\nstopped watching; the deployment goes on. Follow it with: tugboat status ${started.deploymentId}`);
  } else {
    print('');
    print(renderStatus(status));
    const wallMs = Date.now() - began;
    print(
      `\n${status.phase} in ${(wallMs / 1000).toFixed(1)}s wall time; serial sum of service durations ` +
        `${(loaded.plan.serialSumMs / 1000).toFixed(1)}s, critical path ${(loaded.plan.criticalPathMs / 1000).toFixed(1)}s`,
    );
  }
  if (!done) return { exitCode: ExitCode.ok, status };
  return { exitCode: status.phase === 'SUCCEEDED' ? ExitCode.ok : ExitCode.failed, status };
}
