/**
 * The shell executor: a service deployed by the user's own scripts. `run` deploys, `undo`
 * compensates, `verify` checks health and `inventory` lists what is live; each is a program with
 * arguments, run in its own process group (command.ts). What `run` last applied is kept in the
 * service-state store, so the next deployment's snapshot can hand it back to `undo` on a restore.
 */
import { PermanentDeployError } from '../errors';
import type { Executor, ExecutorDependencies, ExecutorFactory } from '../types';
import { describeExit } from '../run-tool';
import { applyOutcome, appliedRecord, readOnlyContext, restoredRecord, snapshotOf, stateKey } from '../service-record';
import { runCommand, shellConfig, throwUnlessSucceeded } from './command';
import { examples } from './examples';
import { listInventory } from './inventory';
import { preflightProblems } from './preflight';
import { shellConfigSchema } from './schema';

const EXECUTOR = 'shell';

export const shellExecutor: ExecutorFactory = {
  name: EXECUTOR,
  description: 'Runs your scripts: `run` deploys, `undo` rolls back, `verify` checks health, `inventory` lists live resources.',
  configSchema: shellConfigSchema,
  examples,
  create(deps: ExecutorDependencies): Executor {
    const { serviceState } = deps;
    return {
      async apply(ctx) {
        const config = shellConfig(ctx.service);
        const key = stateKey(ctx);
        const before = await serviceState.getServiceState(key);
        const { result, written } = await runCommand(ctx, deps, config, 'run');
        throwUnlessSucceeded(ctx, config, 'run', result);
        const outcome = applyOutcome(before, ctx, before ? 'updated' : 'created');
        const applied = {
          version: ctx.service.version ?? null,
          outputs: ctx.secrets.redactDeep(written?.outputs ?? {}),
          resources: ctx.secrets.redactDeep(written?.resources ?? []),
        };
        await serviceState.saveServiceState(key, appliedRecord(ctx, EXECUTOR, applied, outcome, {}));
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

      async snapshot(target, signal) {
        signal.throwIfAborted();
        return snapshotOf(await serviceState.getServiceState(stateKey(target)));
      },

      async compensate(ctx, action, previous) {
        const config = shellConfig(ctx.service);
        const key = stateKey(ctx);
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
        const restored = restoredRecord(previous, EXECUTOR);
        await serviceState.saveServiceState(key, restored);
        ctx.log(`compensate ${ctx.service.name}: restored ${previous.version ?? ''}`.trim());
        return { action, outcome: 'restored', resources: restored.resources };
      },

      inventory: (deployment, services, signal) => listInventory(deps, deployment, services, (service) => readOnlyContext(deps.env, deployment, service, signal)),

      preflight: (target) => preflightProblems(deps, target),
    };
  },
};
