/**
 * Specialist task queues with real worker processes: a worker started with `--queues main` runs the
 * workflows and the simulated steps, one started with `--queues shell` (another machine: its own
 * TUGBOAT_HOME) runs the shell service's steps — the workflow history says which worker started
 * each step. `tugboat workers --json` lists both processes' pollers; a service on a queue nobody
 * polls makes `deploy` and `status` warn, naming the command that starts a worker for it, and the
 * deployment completes once one runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { startDeployment } from '../../src/client/deployments';
import type { QueueView } from '../../src/client/workers';
import type { ServiceInput } from '../../src/manifest/schema';
import { validateManifestOrThrow } from '../../src/manifest/validate';
import { runCommand } from '../../src/system/process';
import { testEnv } from '../support/temporal-env';
import { activitySteps, type ActivityStep } from '../support/activity-steps';
import { waitFor } from '../support/wait';
import { spawnWorker, type WorkerProcess } from '../support/worker-process';
import { progressOf, useWorld, waitForProgress, type World } from '../support/world';

const CLI = path.resolve(__dirname, '..', '..', 'bin', 'tugboat.js');

async function tugboat(world: World, args: string[]) {
  return runCommand([process.execPath, CLI, ...args], {
    env: { ...process.env, TEMPORAL_ADDRESS: testEnv().address, TEMPORAL_NAMESPACE: testEnv().namespace, TUGBOAT_TASK_QUEUE: world.taskQueue, TUGBOAT_HOME: world.stateDir },
  });
}

/** Worker processes, each with its own TUGBOAT_HOME (as on separate machines), stopped by PID after each test. */
function useWorkerProcesses(world: World) {
  const started: WorkerProcess[] = [];
  afterEach(async () => {
    for (const w of started.splice(0)) await w.process.stop({ graceMs: 5_000 });
  });
  return async (queues: string): Promise<WorkerProcess> => {
    const home = fs.mkdtempSync(path.join(world.stateDir, `home-${queues.replace(/[^a-z]/g, '')}-`));
    const worker = await spawnWorker({ taskQueue: world.taskQueue, simCloudUrl: world.simCloudUrl, home, queues });
    started.push(worker);
    return worker;
  };
}

/** Per activity of a service's child workflow: the task queue it was scheduled on and who started it. */
async function stepWorkers(handle: WorkflowHandle, service: string): Promise<ActivityStep[]> {
  return activitySteps(handle.client, (await progressOf(handle)).services[service]!.workflowId!);
}

describe('specialist workers: workflows on one process, shell steps on another', () => {
  const world = useWorld('queues-route', { worker: false });
  const spawn = useWorkerProcesses(world);
  let scripts: string;
  beforeAll(() => {
    scripts = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-queues-'));
    fs.writeFileSync(path.join(scripts, 'migrate.sh'), '#!/bin/sh\necho migrated\n', { mode: 0o755 });
  });
  afterAll(() => fs.rmSync(scripts, { recursive: true, force: true }));

  it('runs the shell service on the shell worker and the rest on the main worker; tugboat workers lists both', async () => {
    const main = await spawn('main');
    const shell = await spawn('shell');
    expect(main.output.some((l) => l.includes(`task queue "${world.taskQueue}"`) && l.includes('workflows'))).toBe(true);
    expect(shell.output.find((l) => l.startsWith('worker polling'))).toContain(`worker polling task queues "${world.taskQueue}-shell"`);

    // Both processes' pollers, as the server lists them (a poller shows up with its first poll).
    const listed = await waitFor(
      async () => {
        const r = await tugboat(world, ['workers', '--json']);
        if (r.code !== 0) throw new Error(`tugboat workers exited ${r.code}: ${r.stderr}`);
        const doc = JSON.parse(r.stdout) as { task_queue: string; queues: QueueView[] };
        const byName = new Map(doc.queues.map((q) => [q.specialty, q]));
        return byName.get('main')?.polled && byName.get('shell')?.polled ? { doc, byName } : undefined;
      },
      { timeoutMs: 30_000, what: 'tugboat workers to list both worker processes' },
    );
    const identities = (pollers: QueueView['workflow_pollers']) => pollers.map((p) => p.identity);
    expect(listed.doc.task_queue).toBe(world.taskQueue);
    expect(identities(listed.byName.get('main')!.workflow_pollers)).toEqual([expect.stringMatching(new RegExp(`^${main.process.pid}@`))]);
    expect(identities(listed.byName.get('shell')!.activity_pollers)).toEqual([expect.stringMatching(new RegExp(`^${shell.process.pid}@`))]);
    expect(listed.byName.get('shell')!.workflow_pollers).toEqual([]);
    expect(listed.byName.get('main')!.workflow_pollers[0]!.seconds_ago).toBeLessThan(90);
    // Nobody polls infra: flagged with the command that starts a worker for it.
    expect(listed.byName.get('infra')).toMatchObject({
      task_queue: `${world.taskQueue}-infra`,
      polled: false,
      activity_pollers: [],
      start_command: `tugboat worker --task-queue ${world.taskQueue} --queues infra`,
    });

    const manifest = validateManifestOrThrow({
      deployment: {
        name: world.name,
        environment: 'test',
        services: [
          { name: 'web', type: 'kubernetes', executor: 'simulated', simulate: { duration: '10ms' } },
          { name: 'migrate', type: 'shell', config: { run: ['./migrate.sh'] }, dependencies: ['web'] },
        ] satisfies ServiceInput[],
      },
    });
    const { handle } = await startDeployment(world.client, manifest, { taskQueue: world.taskQueue, source: path.join(scripts, 'release.yaml') });
    expect((await handle.result()).phase).toBe('SUCCEEDED');

    const shellSteps = await stepWorkers(handle, 'migrate');
    expect(shellSteps.map((s) => s.type)).toEqual(expect.arrayContaining(['applyService']));
    for (const step of shellSteps) {
      expect(step).toEqual({ type: step.type, taskQueue: `${world.taskQueue}-shell`, identity: expect.stringMatching(new RegExp(`^${shell.process.pid}@`)) });
    }
    const simulatedSteps = await stepWorkers(handle, 'web');
    expect(simulatedSteps.map((s) => s.type)).toEqual(expect.arrayContaining(['applyService']));
    for (const step of simulatedSteps) {
      expect(step).toEqual({ type: step.type, taskQueue: world.taskQueue, identity: expect.stringMatching(new RegExp(`^${main.process.pid}@`)) });
    }
  });
});

describe('a service on a queue nobody polls', () => {
  // The in-process worker polls the main queue and the default specialties: not gpu.
  const world = useWorld('queues-gpu');
  const spawn = useWorkerProcesses(world);
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-queues-gpu-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('makes deploy and status warn, naming tugboat worker --queues gpu; once one runs, the deployment completes', async () => {
    const file = path.join(dir, 'release.yaml');
    fs.writeFileSync(
      file,
      [
        'deployment:',
        `  name: ${world.name}`,
        '  environment: test',
        '  services:',
        '    - { name: db, type: terraform, executor: simulated, simulate: { duration: 10ms } }',
        '    - { name: train, type: shell, executor: simulated, task_queue: gpu, dependencies: [db], simulate: { duration: 10ms } }',
        '',
      ].join('\n'),
    );
    const warning = `service train waits on task queue "${world.taskQueue}-gpu", which no worker polls; start one: tugboat worker --task-queue ${world.taskQueue} --queues gpu`;

    const deployed = await tugboat(world, ['deploy', file, '--detach', '--json']);
    expect(deployed.stderr).toContain(`warning: ${warning}`);
    expect(deployed.code).toBe(0);
    const { id } = JSON.parse(deployed.stdout) as { id: string };
    const handle = world.client.workflow.getHandle(`deploy-${world.name}.test`);
    await waitForProgress(handle, (p) => p.services.train?.state === 'RUNNING', 'train to wait on the gpu queue');

    const status = await tugboat(world, ['status', id]);
    expect(status.stderr).toContain(`warning: ${warning}`);
    expect(status.stdout).toContain('train');
    const json = await tugboat(world, ['status', id, '--json']);
    expect(JSON.parse(json.stdout).queue_warnings).toEqual([
      expect.objectContaining({ services: ['train'], specialty: 'gpu', task_queue: `${world.taskQueue}-gpu`, message: warning }),
    ]);

    await spawn('gpu');
    expect((await handle.result()).phase).toBe('SUCCEEDED');
    const after = await tugboat(world, ['status', id]);
    expect(after.code).toBe(0);
    expect(after.stderr).not.toContain('warning:');
  });
});
