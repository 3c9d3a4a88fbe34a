/**
 * The few API calls the dev cluster makes itself (readiness, its fake node), over HTTPS with the
 * kubeconfig's token and CA: no kubectl needed to start a cluster.
 */
import fs from 'node:fs/promises';
import https from 'node:https';
import type { ClusterAccess } from './kubeconfig';

const REQUEST_TIMEOUT_MS = 2_000;

export interface ApiResponse {
  status: number;
  body: string;
}

export async function apiRequest(access: ClusterAccess, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  const ca = await fs.readFile(access.caFile);
  const url = new URL(path, access.server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca,
        timeout: REQUEST_TIMEOUT_MS,
        headers: {
          Authorization: `Bearer ${access.token}`,
          Accept: 'application/json',
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.href} timed out after ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** True when the API server answers /readyz with 200 to this token and CA. Never throws. */
export async function isApiReady(access: ClusterAccess): Promise<boolean> {
  try {
    return (await apiRequest(access, 'GET', '/readyz')).status === 200;
  } catch {
    return false;
  }
}

/** True when the node exists and reports Ready (KWOK keeps it so while it runs). */
export async function isNodeReady(access: ClusterAccess, name: string): Promise<boolean> {
  try {
    const res = await apiRequest(access, 'GET', `/api/v1/nodes/${encodeURIComponent(name)}`);
    if (res.status !== 200) return false;
    const node = JSON.parse(res.body) as { status?: { conditions?: Array<{ type: string; status: string }> } };
    return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  } catch {
    return false;
  }
}
