/**
 * Tugboat on a cluster it did not start: a dev server without Tugboat's search attributes plays
 * the docker compose stack / production cluster. Deploy must fail with the fix spelled out,
 * `tugboat setup` (and the worker's start) must add them, and deploy must then start.
 * Each namespace here is a fresh "cluster": search attributes are per namespace.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { msToTs } from '@temporalio/common/lib/time';
import { TUGBOAT_DEPLOYMENT, TUGBOAT_SEARCH_ATTRIBUTES } from '../../src/api/search-attributes';
import { startDeployment } from '../../src/client/deployments';
import { SearchAttributesMissingError, SearchAttributeTypeError } from '../../src/client/search-attributes-errors';
import { ensureSearchAttributes, findMissingSearchAttributes } from '../../src/client/search-attributes-setup';
import { validateManifestOrThrow } from '../../src/manifest/validate';
import { freePort, isServerUp, startDevServer, type DevServer } from '../../src/server/dev-server';
import { findTemporalCli } from '../../src/server/temporal-cli';
import { startSimCloud } from '../../src/simcloud';
import { runCommand, startProcess } from '../../src/system/process';
import { createTugboatWorker } from '../../src/worker';
import { uniqueName, workflowBundle } from '../support/temporal-env';
import { waitFor } from '../support/wait';

const NAMES = TUGBOAT_SEARCH_ATTRIBUTES.map((key) => key.name);
const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'tugboat.js');

let server: DevServer;
let connection: Connection;

beforeAll(async () => {
  const binary = await findTemporalCli({ build: false });
  server = await startDevServer({ binary, port: await freePort(), uiPort: false, searchAttributes: false });
  connection = await Connection.connect({ address: server.address });
});
afterAll(async () => {
  await connection?.close();
  await server?.stop();
});

/** A namespace of its own on our server, with no custom search attributes. */
async function bareNamespace(prefix: string): Promise<string> {
  const namespace = uniqueName(prefix);
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  await waitFor(() => isServerUp(server.address, namespace), { what: `namespace ${namespace} to be usable` });
  return namespace;
}

function manifest(name: string) {
  return validateManifestOrThrow({ deployment: { name, environment: 'staging', services: [{ name: 'db', type: 'terraform', executor: 'simulated' }] } });
}

/**
 * Nobody polls this queue (except the CLI test's own worker, in its own namespace): a deployment
 * started without its preflight (`preflight: false`) just stays open, which is all these tests need.
 */
const TASK_QUEUE = 'nobody-polls-this';
/** The library calls skip the worker-side preflight: no worker polls, and search attributes are the subject. */
const START = { taskQueue: TASK_QUEUE, preflight: false } as const;

describe('a namespace without Tugboat\'s search attributes', () => {
  let namespace: string;
  let client: Client;
  beforeAll(async () => {
    namespace = await bareNamespace('bare');
    client = new Client({ connection, namespace });
  });

  it('refuses startDeployment with an error naming every missing attribute and the commands that add them', async () => {
    const error = await startDeployment(client, manifest(uniqueName('shop')), START).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SearchAttributesMissingError);
    const { message, missing } = error as SearchAttributesMissingError;
    expect(missing).toEqual(NAMES);
    expect(message).toContain(`namespace "${namespace}" lacks Tugboat's search attributes TugboatDeployment, TugboatEnvironment, TugboatPhase`);
    expect(message).toContain('tugboat setup');
    for (const name of NAMES) {
      expect(message).toContain(`temporal operator search-attribute create --namespace ${namespace} --name ${name} --type Keyword`);
    }
    expect(message).toContain(
      `tcld namespace search-attributes add --namespace ${namespace} --search-attribute "TugboatDeployment=Keyword" ` +
        '--search-attribute "TugboatEnvironment=Keyword" --search-attribute "TugboatPhase=Keyword"',
    );
    expect(message).toContain('Cloud UI');
  });

  it('gets them from ensureSearchAttributes; a second run finds nothing to add', async () => {
    await expect(findMissingSearchAttributes(connection, namespace)).resolves.toEqual({ missing: NAMES });
    await expect(ensureSearchAttributes(connection, namespace)).resolves.toEqual({ namespace, present: [], added: NAMES });
    await expect(ensureSearchAttributes(connection, namespace)).resolves.toEqual({ namespace, present: NAMES, added: [] });
  });

  it('then starts deployments, tagged with the attributes', async () => {
    // A just-added attribute can lag in the server's cache: poll, and only that one error is retried.
    const started = await waitFor(
      () =>
        startDeployment(client, manifest(uniqueName('shop')), START).catch((err: unknown) => {
          if (err instanceof SearchAttributesMissingError) return undefined;
          throw err;
        }),
      { what: 'startDeployment to accept the new search attributes' },
    );
    const description = await started.handle.describe();
    expect(description.typedSearchAttributes.get(TUGBOAT_DEPLOYMENT)).toBe(started.deploymentId);
    await started.handle.terminate('test done');
  });
});

describe('an attribute of the wrong type', () => {
  it('is an error naming the attribute, both types and the fix', async () => {
    const namespace = await bareNamespace('wrong-type');
    const searchAttributes = { TugboatPhase: encodeSearchAttributeIndexedValueType('TEXT')! };
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
    const error = await ensureSearchAttributes(connection, namespace).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SearchAttributeTypeError);
    expect((error as Error).message).toMatch(
      new RegExp(`search attribute TugboatPhase in namespace "${namespace}" has type Text, but Tugboat needs Keyword`),
    );
    expect((error as Error).message).toContain(`temporal operator search-attribute remove --namespace ${namespace} --name TugboatPhase`);
  });
});

describe('the message when Tugboat may not add them (Temporal Cloud with an API key)', () => {
  it('does not send the reader back to `tugboat setup`, and names what was refused', () => {
    const error = new SearchAttributesMissingError('prod.a1b2c', ['TugboatPhase'], 'the server refused adding them: PERMISSION_DENIED: Request unauthorized.');
    expect(error.message).toContain('PERMISSION_DENIED: Request unauthorized.');
    expect(error.message).toContain('not allowed to add them itself');
    expect(error.message).not.toContain('Run `tugboat setup`');
    expect(error.message).toContain('temporal operator search-attribute create --namespace prod.a1b2c --name TugboatPhase --type Keyword');
    expect(error.message).toContain('tcld namespace search-attributes add --namespace prod.a1b2c --search-attribute "TugboatPhase=Keyword"');
  });
});

describe('the built CLI', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-setup-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const tugboat = (args: string[], namespace: string) =>
    runCommand([process.execPath, CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: namespace, TUGBOAT_TASK_QUEUE: TASK_QUEUE },
    });

  it('deploy fails with the fix (exit 3, no stack trace); setup adds the attributes, then finds nothing to add', async () => {
    const namespace = await bareNamespace('cli');
    const file = path.join(tmp, 'shop.yaml');
    fs.writeFileSync(
      file,
      `deployment:\n  name: ${uniqueName('shop')}\n  environment: staging\n  services:\n    - { name: db, type: terraform, simulate: { duration: 10ms } }\n`,
    );
    // `tugboat deploy` runs its preflight on a worker first: an in-process one, which (unlike
    // `tugboat worker`) does not add the search attributes, so the namespace stays bare.
    const worker = await startInProcessWorker(namespace);
    try {
      await deployFailsThenSetupFixesIt(namespace, file);
    } finally {
      await worker.stop();
    }
  });

  async function startInProcessWorker(namespace: string): Promise<{ stop(): Promise<void> }> {
    const sim = await startSimCloud({ port: 0, stateFile: path.join(tmp, `${namespace}-simcloud.json`) });
    const workerConnection = await NativeConnection.connect({ address: server.address }).catch(async (err: unknown) => {
      await sim.close();
      throw err;
    });
    const closeRest = async () => {
      await workerConnection.close();
      await sim.close();
    };
    const worker = await createTugboatWorker({
      connection: workerConnection,
      namespace,
      taskQueue: TASK_QUEUE,
      simCloudUrl: sim.url,
      stateDir: path.join(tmp, namespace, 'state'),
      workflowBundle: workflowBundle(),
    }).catch(async (err: unknown) => {
      await closeRest();
      throw err;
    });
    const running = worker.run();
    return {
      async stop() {
        worker.shutdown();
        await running;
        await closeRest();
      },
    };
  }

  async function deployFailsThenSetupFixesIt(namespace: string, file: string): Promise<void> {
    const refused = await tugboat(['deploy', file, '--detach'], namespace);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`temporal operator search-attribute create --namespace ${namespace} --name TugboatDeployment --type Keyword`);
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    const first = await tugboat(['setup'], namespace);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`namespace "${namespace}" at ${server.address}: added 3`);
    expect(first.stdout).toMatch(/TugboatPhase\s+Keyword\s+added/);
    const second = await tugboat(['setup'], namespace);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('nothing to add');
    expect(second.stdout).toMatch(/TugboatPhase\s+Keyword\s+present/);

    const deployed = await tugboat(['deploy', file, '--detach', '--json'], namespace);
    expect(deployed.code).toBe(0);
    const { workflow_id } = JSON.parse(deployed.stdout);
    // The worker runs it on the simulated cloud: let it finish rather than race a terminate.
    const result = await new Client({ connection, namespace }).workflow.getHandle(workflow_id).result();
    expect(result.phase).toBe('SUCCEEDED');
  }

  it('setup --help says what it does, the manual commands, and Temporal Cloud', async () => {
    const help = await tugboat(['setup', '--help'], 'default');
    expect(help.code).toBe(0);
    for (const text of ['TugboatDeployment', 'temporal operator search-attribute create', 'tcld namespace search-attributes add', 'Exit codes']) {
      expect(help.stdout).toContain(text);
    }
  });

  it('the worker adds them when it starts', async () => {
    const namespace = await bareNamespace('worker');
    const lines: string[] = [];
    const worker = startProcess([process.execPath, CLI, 'worker'], {
      cwd: ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: namespace, TUGBOAT_TASK_QUEUE: TASK_QUEUE },
      onLine: (line) => lines.push(line),
    });
    try {
      await waitFor(() => lines.some((line) => line.includes('registered search attributes')), {
        what: "the worker's registration message",
      });
      expect(lines.join('\n')).toContain(`registered search attributes ${NAMES.join(', ')} in namespace ${namespace}`);
      await expect(findMissingSearchAttributes(connection, namespace)).resolves.toEqual({ missing: [] });
    } finally {
      await worker.stop();
    }
  });
});
