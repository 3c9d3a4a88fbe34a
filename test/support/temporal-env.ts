/**
 * What tests use to reach the suite's shared Temporal dev server (started once by global-setup.ts).
 * Each test isolates itself by names (uniqueName), not by servers.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';

export interface TestEnvFile {
  address: string;
  namespace: string;
  pid: number;
  bundlePath: string;
  tmpDir: string;
  /** OpenTofu (or Terraform) found or built once by global-setup. */
  tofuPath: string;
  /** The Kubernetes dev cluster global-setup started, and the tools tests drive it with. */
  kube: { kubeconfig: string; kubectl: string; helm: string; pids: Record<string, number> };
}

const ROOT_DIR = path.resolve(__dirname, '..', '..');

/** Fixed per checkout, so a test (or a person) can find the running suite's server without jest's help. */
/**
 * One file per jest run (its PID): two runs in the same checkout at once (two terminals, an editor's
 * test runner) must each find their own server, never the other's or a file the other removed.
 */
export function testEnvFilePath(rootDir = ROOT_DIR, runPid = process.pid): string {
  const hash = crypto.createHash('sha256').update(rootDir).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `tugboat-jest-${hash}-${runPid}.json`);
}

let cachedEnv: TestEnvFile | undefined;

/** The whole env file global-setup wrote (kube-env.ts reads its Kubernetes part). */
export function readTestEnv(): TestEnvFile {
  return readEnvFile();
}

function readEnvFile(): TestEnvFile {
  if (!cachedEnv) {
    const file = process.env.TUGBOAT_TEST_ENV_FILE || testEnvFilePath();
    if (!fs.existsSync(file)) {
      throw new Error(`No test Temporal server: ${file} is missing. Run tests through jest so global-setup.ts starts one.`);
    }
    cachedEnv = JSON.parse(fs.readFileSync(file, 'utf8')) as TestEnvFile;
  }
  return cachedEnv;
}

export function testEnv(): Pick<TestEnvFile, 'address' | 'namespace' | 'bundlePath'> {
  const { address, namespace, bundlePath } = readEnvFile();
  return { address, namespace, bundlePath };
}

/** The `tofu` (or `terraform`) binary global-setup found or built for this run. */
export function tofuPath(): string {
  return readEnvFile().tofuPath;
}

export async function connectClient(): Promise<{ client: Client; connection: Connection; close(): Promise<void> }> {
  const { address, namespace } = testEnv();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  return { client, connection, close: () => connection.close() };
}

let cachedBundle: { code: string } | undefined;

/** The workflow bundle built once by global-setup; pass as `workflowBundle` to Worker.create. */
export function workflowBundle(): { code: string } {
  cachedBundle ??= { code: fs.readFileSync(testEnv().bundlePath, 'utf8') };
  return cachedBundle;
}

/** A name no other test (or earlier run against the same server) uses: lowercase, DNS-safe. */
export function uniqueName(prefix: string): string {
  const safePrefix = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 't';
  const suffix = Date.now().toString(36).slice(-5) + crypto.randomBytes(3).toString('hex');
  return `${safePrefix}-${suffix}`;
}
