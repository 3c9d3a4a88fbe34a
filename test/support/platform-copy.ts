/**
 * A private copy of examples/platform for one test: its own directory (so the scripts' .state and
 * the manifest-relative paths are the test's own), its own deployment name (which is also its
 * Kubernetes namespace) and a free port for the demo web service. The web service it starts is found, and stopped, by the PID in its pidfile.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/server/dev-server';
import { isProcessRunning } from '../../src/system/process-group';

const EXAMPLE_DIR = path.resolve(__dirname, '../../examples/platform');
const EXAMPLE_PORT = '4791';
const EXAMPLE_NAMESPACE = 'platform-demo';

export interface PlatformCopy {
  dir: string;
  port: number;
  /** The Kubernetes namespace of this copy's backend and frontend (its deployment name). */
  namespace: string;
  /** The copied manifest's path (release.yaml, release-failure.yaml). */
  manifest(file: string): string;
  webPid(): number | undefined;
  /** Stops the web service this copy started, if it runs. */
  stopWeb(): void;
  remove(): void;
}

export async function copyPlatformExample(name: string): Promise<PlatformCopy> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-platform-'));
  fs.cpSync(EXAMPLE_DIR, dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}.state`) });
  const port = await freePort();
  for (const file of ['release.yaml', 'release-failure.yaml']) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    fs.writeFileSync(
      path.join(dir, file),
      text.replaceAll(EXAMPLE_PORT, String(port)).replaceAll(`namespace: ${EXAMPLE_NAMESPACE}`, `namespace: ${name}`).replace('name: platform', `name: ${name}`),
    );
  }
  const pidFile = path.join(dir, '.state', 'web', 'web.pid');
  const copy: PlatformCopy = {
    dir,
    port,
    namespace: name,
    manifest: (file) => path.join(dir, file),
    webPid: () => (fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').trim()) : undefined),
    stopWeb() {
      const pid = copy.webPid();
      if (pid && isProcessRunning(pid)) process.kill(pid, 'SIGTERM');
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
  return copy;
}
