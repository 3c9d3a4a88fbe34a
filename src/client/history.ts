/**
 * An environment's deployments, from the state store's deployment records (which outlive
 * Temporal's retention of closed workflows): what `tugboat history` prints.
 */
import { NAME_PATTERN } from '../manifest/schema';
import type { DeploymentRecord, EnvironmentKey, StateStore } from '../state';
import { parseDeploymentRef } from './deployment-id';

/** A reference that is not <name>/<environment>, with what to type instead. */
export class EnvironmentRefError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvironmentRefError';
  }
}

/** "<name>/<environment>" as the manifest spells them (lowercase letters, digits and "-"). */
export function parseEnvironmentRef(ref: string): EnvironmentKey {
  const parsed = parseDeploymentRef(ref);
  if (parsed && 'deploymentId' in parsed) {
    throw new EnvironmentRefError(`"${ref}" is one deployment; history lists an environment's: use <name>/<environment> (tugboat status ${parsed.deploymentId} shows that one)`);
  }
  if (!parsed) {
    throw new EnvironmentRefError(`"${ref}" is not <name>/<environment>: use the manifest's deployment.name and deployment.environment, e.g. ecommerce-app/production`);
  }
  const { name, environment } = parsed;
  for (const [field, value] of [['name', name], ['environment', environment]] as const) {
    if (!NAME_PATTERN.test(value)) {
      throw new EnvironmentRefError(`"${value}" cannot be a deployment ${field}: names use lowercase letters, digits and "-" (as in the manifest's deployment.${field})`);
    }
  }
  return { name, environment };
}

/** One deployment in `tugboat history --json`. */
export interface HistoryEntry {
  id: string;
  phase: string;
  started_at: string;
  ended_at: string;
  duration_ms: number;
  /** Who started it (user@host), when the client said. */
  requested_by: string | null;
  /** The services' versions it deployed (services with a version only). */
  versions: Record<string, string>;
  services: Record<string, { state: string; version?: string }>;
  error?: string;
}

export interface EnvironmentHistory {
  name: string;
  environment: string;
  /** Where the records were read from. */
  store: string;
  /** How many deployments the store holds for the environment (deployments may be fewer: --limit). */
  total: number;
  deployments: HistoryEntry[];
}

export function historyEntry(record: DeploymentRecord): HistoryEntry {
  const names = Object.keys(record.services ?? {}).sort();
  const versions: Record<string, string> = {};
  const services: HistoryEntry['services'] = {};
  for (const name of names) {
    const s = record.services[name];
    if (s.version !== undefined) versions[name] = s.version;
    services[name] = s.version !== undefined ? { state: s.state, version: s.version } : { state: s.state };
  }
  const duration = Date.parse(record.endedAt) - Date.parse(record.startedAt);
  return {
    id: record.deploymentId,
    phase: record.phase,
    started_at: record.startedAt,
    ended_at: record.endedAt,
    duration_ms: Number.isFinite(duration) && duration >= 0 ? duration : 0,
    requested_by: record.requestedBy ?? null,
    versions,
    services,
    ...(record.error ? { error: record.error } : {}),
  };
}

/** The newest `limit` deployments of the environment (records come newest first from the store). */
export async function environmentHistory(store: StateStore, key: EnvironmentKey, limit: number): Promise<EnvironmentHistory> {
  const records = await store.listDeploymentRecords(key);
  return {
    name: key.name,
    environment: key.environment,
    store: store.location,
    total: records.length,
    deployments: records.slice(0, limit).map(historyEntry),
  };
}
