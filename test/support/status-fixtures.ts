/**
 * DeploymentStatus and ServiceStatus values for tests of what reads them (status text, the live
 * view, following): every field filled with its "nothing yet" value, each test setting only what it
 * is about.
 */
import type { DeploymentStatus, ServiceStatus } from '../../src/client/status';

/** A service not started yet (a shell service in the first wave), with `overrides`. */
export function serviceStatus(overrides: Partial<ServiceStatus> = {}): ServiceStatus {
  return {
    state: 'PENDING',
    type: 'shell',
    wave: 0,
    attempt: null,
    last_failure: null,
    activity: null,
    started_at: null,
    ended_at: null,
    error: null,
    outputs: {},
    resources: [],
    steps: {},
    ...overrides,
  };
}

/** A deployment of `services` (waves from their `wave`), DEPLOYING with nothing else happened, with `overrides`. */
export function deploymentStatus(services: Record<string, ServiceStatus>, overrides: Partial<DeploymentStatus> = {}): DeploymentStatus {
  const waves: string[][] = [];
  for (const [name, s] of Object.entries(services)) (waves[s.wave] ??= []).push(name);
  return {
    id: 'dep-20261123t183012345z-k3f9q2',
    name: 'shop',
    environment: 'prod',
    phase: 'DEPLOYING',
    workflow_id: 'deploy-shop.prod',
    started_at: '2026-11-23T18:30:12.345Z',
    ended_at: null,
    error: null,
    waves,
    services,
    rollback_manifest: null,
    record: null,
    rollback: null,
    orphans: [],
    orphan_check_error: null,
    unverifiable: [],
    retained: [],
    requests: [],
    awaiting_decision: false,
    paused: null,
    approvals: null,
    bake: null,
    on_failure: null,
    failed: [],
    skipped: [],
    notifications: [],
    ...overrides,
  };
}
