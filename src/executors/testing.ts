/**
 * For executor tests: a context and dependencies as the worker would give them, with real files
 * under a temp dir and a real secret bag. Not used by production code.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serviceSchema, type ServiceSpec } from '../manifest/schema';
import { SecretBag } from '../secrets/resolve';
import { FileStateStore } from '../state';
import type { DeploymentRef, ExecutorContext, ExecutorDependencies } from './types';

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tugboat-${prefix}-`));
}

export function testDependencies(dataDir: string, overrides: Partial<ExecutorDependencies> = {}): ExecutorDependencies {
  return {
    simCloudUrl: 'http://127.0.0.1:9',
    dataDir,
    serviceState: new FileStateStore(path.join(dataDir, 'state')),
    env: process.env,
    ...overrides,
  };
}

export interface TestContextOptions {
  deployment?: Partial<DeploymentRef>;
  step?: 'apply' | 'verify' | 'compensate';
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Receives every heartbeat's details. */
  heartbeats?: unknown[];
}

/** A context for one step of one service; `service` is the manifest entry as a user writes it. */
export function testContext(service: Record<string, unknown> | ServiceSpec, opts: TestContextOptions = {}): ExecutorContext {
  const spec = serviceSchema.parse(service);
  const deployment: DeploymentRef = {
    id: 'dep-test',
    name: 'test',
    environment: 'dev',
    baseDir: process.cwd(),
    ...opts.deployment,
  };
  return {
    deployment,
    deploymentId: deployment.id,
    service: spec,
    idempotencyKey: `${deployment.id}:${spec.name}:${opts.step ?? 'apply'}`,
    signal: opts.signal ?? new AbortController().signal,
    heartbeat: (details) => opts.heartbeats?.push(details),
    log: () => undefined,
    secrets: new SecretBag(opts.env ?? process.env, deployment.baseDir),
  };
}
