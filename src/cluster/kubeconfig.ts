/** The dev cluster's kubeconfig: written for users and tools, read back to probe a running cluster. */
import fs from 'node:fs/promises';
import { parse, stringify } from 'yaml';

export const DEV_CONTEXT = 'tugboat-dev';

export interface ClusterAccess {
  server: string;
  /** PEM bundle that verifies the server's certificate. */
  caFile: string;
  token: string;
}

function renderKubeconfig({ server, caFile, token }: ClusterAccess): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: DEV_CONTEXT, cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: 'tugboat-admin', user: { token } }],
    contexts: [{ name: DEV_CONTEXT, context: { cluster: DEV_CONTEXT, user: 'tugboat-admin', namespace: 'default' } }],
    'current-context': DEV_CONTEXT,
  });
}

export async function writeKubeconfig(file: string, access: ClusterAccess): Promise<void> {
  // It holds an admin token: only this user reads it. Written whole, then renamed into place.
  await fs.writeFile(`${file}.tmp`, renderKubeconfig(access), { mode: 0o600 });
  await fs.rename(`${file}.tmp`, file);
}

/** The access a kubeconfig we wrote describes; undefined if it is missing or not one of ours. */
export async function readKubeconfig(file: string): Promise<ClusterAccess | undefined> {
  try {
    const doc = parse(await fs.readFile(file, 'utf8')) as {
      clusters?: Array<{ cluster?: { server?: string; 'certificate-authority'?: string } }>;
      users?: Array<{ user?: { token?: string } }>;
    };
    const cluster = doc.clusters?.[0]?.cluster;
    const token = doc.users?.[0]?.user?.token;
    if (!cluster?.server || !cluster['certificate-authority'] || !token) return undefined;
    return { server: cluster.server, caFile: cluster['certificate-authority'], token };
  } catch {
    return undefined;
  }
}
