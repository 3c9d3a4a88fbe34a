/**
 * Jest globalTeardown: stops the server global-setup.ts started (and nothing else) and removes its files.
 * Jest runs this in the same process as the setup, so the process handle is still here: we signal our own
 * child, never a PID read back from disk that might by now belong to someone else.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { STATE_KEY, type TestServerState } from './global-setup';
import type { TestEnvFile } from './temporal-env';

export default async function globalTeardown(): Promise<void> {
  const globals = globalThis as Record<symbol, unknown>;
  const state = globals[STATE_KEY] as TestServerState | undefined;
  if (!state) return; // setup never got as far as starting a server
  delete globals[STATE_KEY];

  await Promise.all([state.server.stop(), state.cluster.stop()]); // SIGTERM, SIGKILL after a grace; resolve once exited
  process.removeListener('exit', state.killOnExit);
  // The cluster's component logs outlive the run (the last run's only), for whoever reads a failure.
  const logs = path.resolve(__dirname, '..', '..', '.tugboat', 'test-cluster-logs');
  await fs.rm(logs, { recursive: true, force: true });
  await fs.cp(path.join(state.tmpDir, 'kube', 'logs'), logs, { recursive: true }).catch(() => undefined);
  await fs.rm(state.tmpDir, { recursive: true, force: true });

  // A concurrent run in the same checkout may have replaced the env file; only remove our own.
  const current = await fs.readFile(state.envFile, 'utf8').then((text) => JSON.parse(text) as TestEnvFile, () => undefined);
  if (current?.pid === state.server.pid && current.tmpDir === state.tmpDir) await fs.rm(state.envFile, { force: true });
}
