/**
 * `npm run build` bundles the workflows into dist/workflow-bundle.js (and, for payload encryption, its
 * twin with the codec's failure converter), and a worker started from
 * dist runs that bundle instead of running webpack at start (seconds of CPU, and about 150 MB of
 * resident memory it kept for its whole life). The worker says which code it runs, and a
 * deployment on it succeeds: the bundle holds the workflows and the interceptors every worker adds.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { startDeployment } from '../../src/client/deployments';
import { codecKeysFromEnv, encryptingDataConverter } from '../../src/codec';
import { validateManifestOrThrow } from '../../src/manifest/validate';
import { spawnWorker, type WorkerProcess } from '../support/worker-process';
import { waitFor } from '../support/wait';
import { useWorld } from '../support/world';

const DIST_BUNDLE = path.resolve(__dirname, '..', '..', 'dist', 'workflow-bundle.js');
const DIST_ENCRYPTING_BUNDLE = path.resolve(__dirname, '..', '..', 'dist', 'workflow-bundle-encrypting.js');

describe('the prebuilt workflow bundle', () => {
  const world = useWorld('prebuilt-bundle', { worker: false });
  let worker: WorkerProcess | undefined;
  afterEach(async () => {
    await worker?.process.stop({ graceMs: 5_000 });
    worker = undefined;
  });

  it('is what a worker started from dist runs, and a deployment on it succeeds', async () => {
    expect(fs.existsSync(DIST_BUNDLE)).toBe(true);
    const home = fs.mkdtempSync(path.join(world.stateDir, 'home-'));
    // Empty: no test bundle, so the worker falls back to what the build wrote.
    worker = await spawnWorker({ taskQueue: world.taskQueue, simCloudUrl: world.simCloudUrl, home, env: { TUGBOAT_WORKFLOW_BUNDLE: '' } });
    const said = worker.output;
    await waitFor(() => said.some((l) => l.startsWith('workflow code: ')), { timeoutMs: 10_000, what: 'the worker to say which workflow code it runs' });
    expect(said).toContain(`workflow code: ${DIST_BUNDLE}`);

    const manifest = validateManifestOrThrow({
      deployment: {
        name: 'prebuilt-bundle',
        environment: 'test',
        services: [
          { name: 'db', type: 'terraform', executor: 'simulated', simulate: { duration: '10ms' } },
          { name: 'api', type: 'docker', executor: 'simulated', dependencies: ['db'], simulate: { duration: '10ms' } },
        ],
      },
    });
    const { handle } = await startDeployment(world.client, manifest, { taskQueue: world.taskQueue });
    const result = await handle.result();
    expect(result.phase).toBe('SUCCEEDED');
    expect(Object.values(result.services).map((s) => s.state)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  });

  it('with payload encryption on is the encrypting twin, whose workflows encrypt their own failure messages', async () => {
    expect(fs.existsSync(DIST_ENCRYPTING_BUNDLE)).toBe(true);
    const codecKeys = `prebuilt:${crypto.randomBytes(32).toString('base64')}`;
    const home = fs.mkdtempSync(path.join(world.stateDir, 'home-'));
    worker = await spawnWorker({ taskQueue: world.taskQueue, simCloudUrl: world.simCloudUrl, home, env: { TUGBOAT_WORKFLOW_BUNDLE: '', TUGBOAT_CODEC_KEYS: codecKeys } });
    const said = worker.output;
    await waitFor(() => said.some((l) => l.startsWith('workflow code: ')), { timeoutMs: 10_000, what: 'the worker to say which workflow code it runs' });
    expect(said).toContain(`workflow code: ${DIST_ENCRYPTING_BUNDLE}`);

    const client = new Client({
      connection: world.client.connection,
      namespace: world.client.options.namespace,
      dataConverter: encryptingDataConverter(codecKeysFromEnv({ TUGBOAT_CODEC_KEYS: codecKeys })!),
    });
    const manifest = validateManifestOrThrow({
      deployment: {
        name: 'prebuilt-encrypting',
        environment: 'test',
        services: [{ name: 'db', type: 'terraform', executor: 'simulated', simulate: { duration: '10ms', fail_permanent: true } }],
      },
    });
    const { handle } = await startDeployment(client, manifest, { taskQueue: world.taskQueue });
    // The deployment workflow fails with "db failed: …; rolled back", thrown in workflow code: the
    // client with the keys reads it, the history holds it only in the encrypted attributes.
    await expect(handle.result()).rejects.toMatchObject({ cause: { message: expect.stringContaining('db failed') } });
    const { events } = await handle.fetchHistory();
    const failure = events!.find((e) => e.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes?.failure;
    expect(failure?.message).toBe('Encoded failure');
    expect(failure?.encodedAttributes?.metadata?.encoding && Buffer.from(failure.encodedAttributes.metadata.encoding).toString()).toBe('binary/encrypted');
  });
});
