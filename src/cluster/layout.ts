/**
 * Where a dev cluster keeps its files under its data dir, and the credentials made once there: the
 * service-account signing key and the admin token. (The API server makes its own serving certificate
 * and CA in pki/serving the first time it starts, and reuses them after.)
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { exists } from '../system/exists';

export class ClusterLayout {
  constructor(readonly root: string) {}

  get pkiDir(): string {
    return path.join(this.root, 'pki');
  }
  /** Written by kube-apiserver on first start: its certificate followed by the CA that signed it. */
  get servingCertDir(): string {
    return path.join(this.pkiDir, 'serving');
  }
  get caBundle(): string {
    return path.join(this.servingCertDir, 'apiserver.crt');
  }
  get serviceAccountKey(): string {
    return path.join(this.pkiDir, 'service-account.key');
  }
  get serviceAccountPub(): string {
    return path.join(this.pkiDir, 'service-account.pub');
  }
  get tokenFile(): string {
    return path.join(this.pkiDir, 'tokens.csv');
  }
  get etcdDir(): string {
    return path.join(this.root, 'etcd');
  }
  get kubeconfig(): string {
    return path.join(this.root, 'kubeconfig');
  }
  /** The ports it listens on, kept so a restart serves the kubeconfig users already exported. */
  get portsFile(): string {
    return path.join(this.root, 'ports.json');
  }
  logFile(component: string): string {
    return path.join(this.root, 'logs', `${component}.log`);
  }
}

/** The admin token, made once (the API server reads it from the token file; the kubeconfig carries it). */
export async function ensureCredentials(layout: ClusterLayout): Promise<{ token: string }> {
  // 0700: the token is cluster-admin, the key signs every service account's token.
  await fs.mkdir(layout.pkiDir, { recursive: true, mode: 0o700 });
  await fs.mkdir(path.dirname(layout.logFile('x')), { recursive: true });
  if (!(await exists(layout.serviceAccountKey)) || !(await exists(layout.serviceAccountPub))) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    await fs.writeFile(layout.serviceAccountKey, privateKey, { mode: 0o600 });
    await fs.writeFile(layout.serviceAccountPub, publicKey, { mode: 0o600 });
  }
  const existing = await fs.readFile(layout.tokenFile, 'utf8').catch(() => '');
  const token = existing.split(',')[0]?.trim();
  if (token) return { token };
  const fresh = randomBytes(24).toString('hex');
  // token,user,uid,"groups": system:masters is bound to cluster-admin by the API server's bootstrap policy.
  await fs.writeFile(layout.tokenFile, `${fresh},tugboat-admin,tugboat-admin,"system:masters"\n`, { mode: 0o600 });
  return { token: fresh };
}
