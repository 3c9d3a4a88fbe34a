/**
 * The preflight: before anything is touched, a worker checks that every service can run there,
 * and the deployment is refused with every problem listed (path and fix). A run started by hand,
 * without the client's preflight, gets the same check in its first activity. With no worker on the
 * task queue, the client stops waiting and says so.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { startDeployment } from '../../src/client/deployments';
import { environmentWorkflowId, newDeploymentId } from '../../src/client/deployment-id';
import { PreflightFailedError } from '../../src/client/preflight';
import { NoWorkerError } from '../../src/client/operations';
import { validateManifestOrThrow } from '../../src/manifest/validate';
import { deploymentWorkflow } from '../../src/workflows';
import { progressOf, useWorld } from '../support/world';

describe('preflight', () => {
  const world = useWorld('preflight');
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-preflight-'));
    fs.mkdirSync(path.join(dir, 'empty-module'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const manifest = (name: string) =>
    validateManifestOrThrow({
      deployment: {
        name,
        environment: 'test',
        services: [
          { name: 'network', type: 'terraform', config: './empty-module' },
          { name: 'migrate', type: 'shell', config: { run: ['./missing.sh'], env: { PW: { secret: 'env:TUGBOAT_PREFLIGHT_UNSET_VAR' } } } },
          { name: 'cluster', type: 'kubernetes', config: './k8s' },
          { name: 'alerts', type: 'monitoring', config: './alerts' },
          { name: 'ok', type: 'shell', config: { run: ['true'] } },
        ],
      },
    });
  const expectEveryProblem = (text: string) => {
    expect(text).toContain('deployment.services[name=network].config');
    expect(text).toContain('deployment.services[name=migrate].config.run[0]');
    expect(text).toContain('deployment.services[name=migrate].config.env.PW');
    expect(text).toContain('TUGBOAT_PREFLIGHT_UNSET_VAR');
    expect(text).toContain('deployment.services[name=cluster].config: the manifests');
    expect(text).toContain('deployment.services[name=alerts].executor');
    expect(text).not.toContain('services[name=ok]');
  };

  it('refuses a deployment with every problem and its fix, before anything starts', async () => {
    const name = `${world.name}-cli`;
    const refused = await startDeployment(world.client, manifest(name), { taskQueue: world.taskQueue, source: path.join(dir, 'release.yaml') }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(PreflightFailedError);
    const { issues, message } = refused as PreflightFailedError;
    expect(issues).toHaveLength(5);
    expectEveryProblem(message);
    expect(issues.every((i) => i.fix)).toBe(true);
    // Nothing was started: no environment lock was taken.
    await expect(world.client.workflow.getHandle(environmentWorkflowId(name, 'test')).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('fails a hand-started run in its first activity, touching nothing', async () => {
    const name = `${world.name}-hand`;
    const handle = await world.client.workflow.start(deploymentWorkflow, {
      workflowId: environmentWorkflowId(name, 'test'),
      taskQueue: world.taskQueue,
      args: [{ deploymentId: newDeploymentId(), manifest: manifest(name), baseDir: dir }],
    });
    const failure = await handle.result().then(() => undefined, (err: unknown) => err as Error);
    expectEveryProblem(String((failure as { cause?: unknown })?.cause));
    const progress = await progressOf(handle).catch(() => undefined);
    for (const service of Object.values(progress?.services ?? {})) expect(service.state).not.toBe('SUCCEEDED');
  });

  it('refuses at once when no worker polls the task queue, naming it and how to start one', async () => {
    const queue = `${world.taskQueue}-nobody`;
    const refused = await startDeployment(world.client, manifest(`${world.name}-idle`), { taskQueue: queue }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(NoWorkerError);
    expect((refused as Error).message).toContain(`no worker polls task queue "${queue}"`);
    expect((refused as Error).message).toContain(`TUGBOAT_TASK_QUEUE=${queue} npx tugboat worker`);
  });
});
