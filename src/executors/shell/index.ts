/**
 * The shell executor: a service deployed by the user's own scripts. `run` deploys, `undo`
 * compensates, `verify` checks health and `inventory` lists what is live; each is a program with
 * arguments, run in its own process group (command.ts). What `run` last applied is kept in the
 * service-state store, so the next deployment's snapshot can hand it back to `undo` on a restore.
 */
import type { ServiceSpec } from '../../manifest/schema';
import { SecretBag } from '../../secrets/resolve';
import type { ServiceStateKey, ServiceStateRecord } from '../../state/types';
import { PermanentDeployError } from '../errors';
import type { DeploymentRef, Executor, ExecutorContext, ExecutorDependencies, ExecutorFactory, PreviousState } from '../types';
import { describeExit } from '../run-tool';
import { runCommand, shellConfig, throwUnlessSucceeded } from './command';
import { examples } from './examples';
import { listInventory } from './inventory';
import { preflightProblems } from './preflight';
import { shellConfigSchema } from './schema';

/** What the state record keeps for this executor alone. */
interface ShellDetail {
  /** What the first apply of this deployment found, so a re-run after a crash reports the same. */
  outcome: 'created' | 'updated';
}

export const shellExecutor: ExecutorFactory = {
  name: 'shell',
  description: 'Runs your scripts: `run` deploys, `undo` rolls back, `verify` checks health, `inventory` lists live resources.',
  configSchema: shellConfigSchema,
  examples,
  create(deps: ExecutorDependencies): Executor {
    const { serviceState } = deps;
    return {
      async apply(ctx) {
        const config = shellConfig(ctx.service);
        const key = stateKey(ctx.deployment, ctx.service);
        const before = await serviceState.getServiceState(key);
        const { result, written } = await runCommand(ctx, deps, config, 'run');
        throwUnlessSucceeded(ctx, config, 'run', result);
        const outcome = applyOutcome(before, ctx.deploymentId);
        const applied = {
          version: ctx.service.version ?? null,
          outputs: ctx.secrets.redactDeep(written?.outputs ?? {}),
          resources: ctx.secrets.redactDeep(written?.resources ?? []),
        };
        const detail: ShellDetail = { outcome };
        await serviceState.saveServiceState(key, { deploymentId: ctx.deploymentId, executor: 'shell', ...applied, detail, savedAt: new Date().toISOString() });
        ctx.log(`apply ${ctx.service.name}: ${outcome}`);
        return { outcome, ...applied };
      },

      // A service's `health_check` is probed by the activity layer for every executor, not here.
      async verify(ctx) {
        const config = shellConfig(ctx.service);
        const version = ctx.service.version ?? null;
        if (!config.verify) return { healthy: true, version, detail: 'no verify command; run succeeded' };
        const { result } = await runCommand(ctx, deps, config, 'verify');
        if (result.code === 0) return { healthy: true, version, detail: 'verify command exited 0' };
        return { healthy: false, detail: describeExit(ctx, `the verify command ${config.verify[0]}`, result) };
      },

      async snapshot({ deployment, service }, signal) {
        signal.throwIfAborted();
        const record = await serviceState.getServiceState(stateKey(deployment, service));
        if (!record) return null;
        // The whole record as detail: a restore writes it back as it was.
        return { version: record.version, outputs: record.outputs, resources: record.resources, detail: record };
      },

      async compensate(ctx, action, previous) {
        const config = shellConfig(ctx.service);
        const key = stateKey(ctx.deployment, ctx.service);
        const current = await serviceState.getServiceState(key);
        if (action === 'retain' || !config.undo) {
          return { action: 'retain', outcome: config.undo ? 'retained' : 'retained (no undo command)', resources: current?.resources ?? [] };
        }
        if (action === 'delete') {
          const { result } = await runCommand(ctx, deps, config, 'undo', { env: { TUGBOAT_UNDO: 'delete' } });
          throwUnlessSucceeded(ctx, config, 'undo', result);
          await serviceState.deleteServiceState(key);
          ctx.log(`compensate ${ctx.service.name}: deleted`);
          return { action, outcome: 'deleted', resources: current?.resources ?? [] };
        }
        if (!previous) throw new PermanentDeployError(`cannot restore ${ctx.service.name}: no previous state was recorded`);
        const { result } = await runCommand(ctx, deps, config, 'undo', {
          env: { TUGBOAT_UNDO: 'restore', TUGBOAT_PREVIOUS_VERSION: previous.version ?? '' },
          files: { TUGBOAT_PREVIOUS_OUTPUTS: JSON.stringify(previous.outputs) },
        });
        throwUnlessSucceeded(ctx, config, 'undo', result);
        const restored = previousRecord(previous);
        await serviceState.saveServiceState(key, restored);
        ctx.log(`compensate ${ctx.service.name}: restored ${previous.version ?? ''}`.trim());
        return { action, outcome: 'restored', resources: restored.resources };
      },

      inventory: (deployment, services, signal) => listInventory(deps, deployment, services, (service) => readOnlyContext(deps, deployment, service, signal)),

      preflight: (target) => preflightProblems(deps, target),
    };
  },
};

function stateKey(deployment: DeploymentRef, service: ServiceSpec): ServiceStateKey {
  return { name: deployment.name, environment: deployment.environment, service: service.name };
}

function applyOutcome(before: ServiceStateRecord | undefined, deploymentId: string): ShellDetail['outcome'] {
  if (!before) return 'created';
  // Our own record: an earlier attempt of this step got as far as saving it (then the worker died).
  if (before.deploymentId === deploymentId) return (before.detail as ShellDetail | undefined)?.outcome ?? 'updated';
  return 'updated';
}

/** The record snapshot() read, to be written back; rebuilt from its fields if detail is not one. */
function previousRecord(previous: PreviousState): ServiceStateRecord {
  const saved = (previous.detail ?? {}) as Partial<ServiceStateRecord>;
  return {
    deploymentId: saved.deploymentId ?? 'unknown',
    executor: saved.executor ?? 'shell',
    version: previous.version,
    outputs: previous.outputs,
    resources: previous.resources,
    detail: saved.detail,
    savedAt: saved.savedAt ?? new Date().toISOString(),
  };
}

/** Inventory runs outside a step: no heartbeats, no idempotency to keep, secrets from the worker's env. */
function readOnlyContext(deps: ExecutorDependencies, deployment: DeploymentRef, service: ServiceSpec, signal: AbortSignal): ExecutorContext {
  return {
    deployment,
    service,
    deploymentId: deployment.id,
    idempotencyKey: `${deployment.id}:${service.name}:inventory`,
    signal,
    heartbeat: () => undefined,
    log: () => undefined,
    secrets: new SecretBag(deps.env, deployment.baseDir),
  };
}
