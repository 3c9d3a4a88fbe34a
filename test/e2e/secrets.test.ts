/**
 * Secrets by reference: a deployment that uses an env: and a file: secret in a shell step, an
 * OpenTofu variable, a Kubernetes Secret (kubectl) and Helm values — printed by the script, written
 * into its outputs and into a failure's stderr, echoed base64-encoded by the Kubernetes API — then
 * rolled back. Every history of the run (parent and children), every file the state store
 * and the executors wrote, and the status are searched: the values are nowhere.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deploymentStatus } from '../../src/client/status';
import { progressOf, useWorld } from '../support/world';
import { deployFile, writeRelease } from '../support/release-file';
import { runCommand } from '../../src/system/process';
import { kubeEnv, kubectlPath } from '../support/kube-env';

const EXAMPLE_DATABASE_MODULE = path.resolve(__dirname, '../../examples/platform/infra/database');
const EXAMPLE_CHART = path.resolve(__dirname, '../../examples/platform/charts/frontend');
const SERVICES = ['leaky', 'database', 'app', 'chart', 'broken'];

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full) : e.isFile() ? [full] : [];
  });
}

describe('secrets by reference', () => {
  const world = useWorld('secrets');
  const envName = `TUGBOAT_E2E_TOKEN_${crypto.randomBytes(3).toString('hex').toUpperCase()}`;
  const envValue = `tok-${crypto.randomBytes(12).toString('hex')}`;
  const fileValue = `pw-${crypto.randomBytes(12).toString('hex')}`;
  let dir: string;
  beforeAll(() => {
    process.env[envName] = envValue;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-secrets-'));
    fs.writeFileSync(path.join(dir, 'db-password'), `${fileValue}\n`);
    fs.cpSync(EXAMPLE_DATABASE_MODULE, path.join(dir, 'database'), { recursive: true });
    fs.cpSync(EXAMPLE_CHART, path.join(dir, 'chart'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'k8s'));
    fs.writeFileSync(
      path.join(dir, 'k8s', 'app.yaml'),
      `apiVersion: apps/v1
kind: Deployment
metadata: { name: app }
spec:
  selector: { matchLabels: { app: app } }
  template:
    metadata: { labels: { app: app } }
    spec:
      containers:
        - name: app
          image: app
          envFrom: [{ secretRef: { name: app-secret } }]
`,
    );
    const script = (name: string, body: string) => {
      fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`);
      fs.chmodSync(path.join(dir, name), 0o755);
    };
    // What a careless script does with a secret: print it, fail with it. (Putting one into its
    // outputs fails the step: see step-runner.test.ts.)
    script('leaky.sh', 'echo "token is $API_TOKEN"');
    script('leaky-undo.sh', 'echo "undoing with $API_TOKEN and $DB_PASS"');
    script('broken.sh', 'echo "cannot connect with password $DB_PASS" >&2\nexit 1');
    writeRelease(
      dir,
      world.name,
      `    - name: leaky
      type: shell
      config:
        run: [./leaky.sh]
        undo: [./leaky-undo.sh]
        env:
          API_TOKEN: { secret: env:${envName} }
          DB_PASS: { secret: file:./db-password }
    - name: database
      type: terraform
      config:
        module: ./database
        vars: { network_id: net-1, db_password: { secret: file:./db-password } }
    - name: app
      type: kubernetes
      version: "1.0.0"
      config:
        manifests: ./k8s
        namespace: ${world.name}
        images: { app: registry.example.com/app }
        secrets:
          app-secret: { TOKEN: { secret: env:${envName} }, PASSWORD: { secret: file:./db-password } }
    - name: chart
      type: kubernetes
      executor: helm
      version: "1.0.0"
      config:
        chart: ./chart
        namespace: ${world.name}
        values: { replicas: 1, backendUrl: { secret: env:${envName} } }
    - name: broken
      type: shell
      dependencies: [leaky, database, app, chart]
      config:
        run: [./broken.sh]
        env: { DB_PASS: { secret: file:./db-password } }
`,
    );
  });
  afterAll(async () => {
    delete process.env[envName];
    await runCommand([kubectlPath(), 'delete', 'namespace', world.name, '--wait=false', '--ignore-not-found'], { env: kubeEnv() });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps both values out of every history, state file, result and status', async () => {
    const { handle, deploymentId } = await deployFile(world, path.join(dir, 'release.yaml'));
    // A rolled-back deployment ends as a failed workflow; its story is in the progress query.
    const failure = await handle.result().then(() => undefined, (err: unknown) => err);
    expect(failure).toBeDefined();
    const result = await progressOf(handle);
    expect(result.phase).toBe('ROLLED_BACK');
    // The values did flow (the failure's stderr carried one) and were redacted on the way out.
    expect(result.services.broken.error?.message).toContain('[secret file:./db-password]');

    const histories = await Promise.all(
      [handle.workflowId, ...SERVICES.map((s) => `${deploymentId}.${s}`)].map(async (id) =>
        JSON.stringify(await world.client.workflow.getHandle(id).fetchHistory()),
      ),
    );
    expect(histories).toHaveLength(SERVICES.length + 1);
    expect(result.rollback?.order).toEqual(expect.arrayContaining(['app', 'chart']));
    const status = JSON.stringify(await deploymentStatus(world.client, handle));
    const files = filesUnder(world.stateDir).map((f) => fs.readFileSync(f, 'latin1'));
    expect(files.length).toBeGreaterThan(3);
    // As they are, and as the Kubernetes API returns a Secret's data.
    const forms = [envValue, fileValue, ...[envValue, fileValue].map((v) => Buffer.from(v).toString('base64'))];
    for (const text of [...histories, status, JSON.stringify(result), JSON.stringify(failure), ...files]) {
      for (const form of forms) expect(text).not.toContain(form);
    }
  });
});
