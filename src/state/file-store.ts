/**
 * The default state store: JSON files under <TUGBOAT_HOME>/state, one directory per deployment.
 * Each ledger entry is its own file (named by its idempotency key), so workers in several
 * processes never rewrite each other's records; so is each attempt record (one file per attempt,
 * never read-modify-write). Every write is atomic.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { readJsonFile, writeJsonAtomically } from '../system/atomic-file';
import { withFileLock } from '../system/file-lock';
import type { ProviderHealth } from '../api/resilience';
import { newestFirst } from './records';
import type {
  AttemptRecord,
  DeploymentRecord,
  EnvironmentKey,
  IntentEntry,
  RollbackManifest,
  ServiceStateKey,
  ServiceStateRecord,
  StateStore,
} from './types';

export class FileStateStore implements StateStore {
  constructor(readonly location: string) {}

  private dir(deploymentId: string): string {
    return path.join(this.location, 'deployments', safeName(deploymentId));
  }

  private intentFile(deploymentId: string, key: string): string {
    return path.join(this.dir(deploymentId), 'ledger', `${safeName(key)}.json`);
  }

  private attemptsDir(deploymentId: string, key: string): string {
    return path.join(this.dir(deploymentId), 'attempts', safeName(key));
  }

  /** One file per service and environment: <state>/services/<name>.<environment>/<service>.json */
  private serviceStateFile(key: ServiceStateKey): string {
    return path.join(this.location, 'services', safeName(`${key.name}.${key.environment}`), `${safeName(key.service)}.json`);
  }

  async getServiceState(key: ServiceStateKey): Promise<ServiceStateRecord | undefined> {
    return readJsonFile<ServiceStateRecord>(this.serviceStateFile(key));
  }

  async saveServiceState(key: ServiceStateKey, record: ServiceStateRecord): Promise<void> {
    await writeJsonAtomically(this.serviceStateFile(key), record);
  }

  async deleteServiceState(key: ServiceStateKey): Promise<void> {
    await rm(this.serviceStateFile(key), { force: true });
  }

  async saveRollbackManifest(manifest: RollbackManifest): Promise<string> {
    const file = path.join(this.dir(manifest.deploymentId), 'rollback-manifest.json');
    await writeJsonAtomically(file, manifest);
    return file;
  }

  async getRollbackManifest(deploymentId: string): Promise<RollbackManifest | undefined> {
    return readJsonFile<RollbackManifest>(path.join(this.dir(deploymentId), 'rollback-manifest.json'));
  }

  /** One directory per environment holding a copy of each of its deployments' records: history without a scan. */
  private environmentDir(key: EnvironmentKey): string {
    return path.join(this.location, 'environments', safeName(`${key.name}.${key.environment}`));
  }

  async saveDeploymentRecord(record: DeploymentRecord): Promise<string> {
    const file = path.join(this.dir(record.deploymentId), 'deployment.json');
    await writeJsonAtomically(file, record);
    await writeJsonAtomically(path.join(this.environmentDir(record), `${safeName(record.deploymentId)}.json`), record);
    return file;
  }

  async listDeploymentRecords(key: EnvironmentKey): Promise<DeploymentRecord[]> {
    const records = await readJsonDir<DeploymentRecord>(this.environmentDir(key));
    return newestFirst(records);
  }

  async getDeploymentRecord(deploymentId: string): Promise<DeploymentRecord | undefined> {
    return readJsonFile<DeploymentRecord>(path.join(this.dir(deploymentId), 'deployment.json'));
  }

  async recordIntent(entry: Omit<IntentEntry, 'status' | 'recordedAt'>): Promise<void> {
    const file = this.intentFile(entry.deploymentId, entry.idempotencyKey);
    const existing = await readJsonFile<IntentEntry>(file);
    // A retry of a confirmed step keeps its confirmation: the side effect already happened.
    if (existing?.status === 'confirmed') return;
    const record: IntentEntry = { ...entry, status: 'intent', recordedAt: new Date().toISOString() };
    await writeJsonAtomically(file, record);
  }

  async confirmIntent(
    idempotencyKey: string,
    deploymentId: string,
    result: Pick<IntentEntry, 'resources' | 'outcome'>,
  ): Promise<void> {
    const file = this.intentFile(deploymentId, idempotencyKey);
    const existing = await readJsonFile<IntentEntry>(file);
    if (!existing) throw new Error(`no intent recorded for ${idempotencyKey} in ${file}`);
    // The first confirmation is the record of what happened; a retry's repeat adds nothing.
    if (existing.status === 'confirmed') return;
    const record: IntentEntry = { ...existing, ...result, status: 'confirmed', confirmedAt: new Date().toISOString() };
    await writeJsonAtomically(file, record);
  }

  async listIntents(deploymentId: string): Promise<IntentEntry[]> {
    const entries = await readJsonDir<IntentEntry>(path.join(this.dir(deploymentId), 'ledger'));
    return entries.sort((a, b) => a.recordedAt.localeCompare(b.recordedAt));
  }

  async recordAttempt(record: AttemptRecord): Promise<void> {
    const name = `${safeName(record.execution)}.${record.attempt}.json`;
    await writeJsonAtomically(path.join(this.attemptsDir(record.deploymentId, record.idempotencyKey), name), record);
  }

  async listAttempts(deploymentId: string, idempotencyKey: string): Promise<AttemptRecord[]> {
    return readJsonDir<AttemptRecord>(this.attemptsDir(deploymentId, idempotencyKey));
  }

  private providerFile(provider: string): string {
    return path.join(this.location, 'providers', `${safeName(provider)}.json`);
  }

  async updateProviderHealth(provider: string, update: (current: ProviderHealth | undefined) => ProviderHealth): Promise<ProviderHealth> {
    const file = this.providerFile(provider);
    // Read-modify-write under a lock file: workers in several processes on this machine share it.
    return withFileLock(`${file}.lock`, async () => {
      const next = update(await readProviderHealth(file));
      // Rewritten by every step of every service: an fsync here was two of the handful each step
      // waits for. Health is advisory (a breaker's counters); after a power loss it starts over.
      await writeJsonAtomically(file, next, { durable: false });
      return next;
    });
  }

  async getProviderHealth(provider: string): Promise<ProviderHealth | undefined> {
    return readProviderHealth(this.providerFile(provider));
  }

  async listProviderHealth(): Promise<ProviderHealth[]> {
    const dir = path.join(this.location, 'providers');
    const files = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    const read = await Promise.all(files.filter((f) => f.endsWith('.json')).map((f) => readProviderHealth(path.join(dir, f))));
    const all = read.filter((h): h is ProviderHealth => h !== undefined);
    return all.sort((a, b) => a.provider.localeCompare(b.provider));
  }

  async close(): Promise<void> {}
}

/**
 * A provider's health, or undefined (a fresh start) when the file is absent or was left empty or
 * torn by a power loss (it is written without an fsync): a breaker that forgot its counters is
 * better than one whose steps all go unguarded because its file cannot be parsed.
 */
async function readProviderHealth(file: string): Promise<ProviderHealth | undefined> {
  try {
    return await readJsonFile<ProviderHealth>(file);
  } catch (err) {
    if (err instanceof SyntaxError || /is not valid JSON/.test((err as Error).message)) return undefined;
    throw err;
  }
}

/** Every JSON file of a directory, parsed; none when the directory does not exist yet. */
async function readJsonDir<T>(dir: string): Promise<T[]> {
  let files: string[];
  try {
    // Temporary files of a write in progress end in .tmp-<pid>-<n>, never in .json.
    files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const entries = await Promise.all(files.map((f) => readJsonFile<T>(path.join(dir, f))));
  return entries.filter((e) => e !== undefined) as T[];
}

/** Deployment IDs and keys are ours, but never let one escape its directory. */
function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}
