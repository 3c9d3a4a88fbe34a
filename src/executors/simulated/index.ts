/**
 * The simulated executor: deploys to Tugboat's simulated cloud over HTTP. It is the embedded
 * demo's target and the test double for the world, with the same contract a real executor has:
 * idempotency keys, cancellation, and transient/permanent classification.
 */
import {
  SimCloudClient,
  SimCloudPermanentError,
  SimCloudTransientError,
  type PreviousState as SimPreviousState,
} from '../../simcloud';
import { configSchema, parseDuration, type ServiceSpec } from '../../manifest/schema';
import { PermanentDeployError, TransientDeployError } from '../errors';
import type { Executor, ExecutorContext, ExecutorFactory } from '../types';
import { hostProvider } from '../../resilience/provider';

export const simulatedExecutor: ExecutorFactory = {
  name: 'simulated',
  description: 'Deploys to the local simulated cloud (tugboat sim-cloud); faults come from the service\'s `simulate` block.',
  configSchema,
  examples: [
    `- name: rds-database
  type: terraform
  dependencies: [vpc]
  executor: simulated
  simulate: { duration: 2s, fail_transient: 1 }`,
  ],
  create({ simCloudUrl }): Executor {
    // No client-side timeout: the step's own timeout (startToClose) cancels the call through ctx.signal.
    const cloud = new SimCloudClient(simCloudUrl, { requestTimeoutMs: 0 });
    // Every service of this worker calls the one simulated cloud: one provider.
    const provider = hostProvider('simulated', simCloudUrl) ?? 'simulated';
    return {
      provider: () => provider,
      async apply(ctx) {
        const { service } = ctx;
        const result = await classified(() =>
          cloud.apply(
            {
              service: service.name,
              deploymentId: ctx.deploymentId,
              type: service.type,
              version: service.version,
              config: service.config,
              idempotencyKey: ctx.idempotencyKey,
              simulate: simulateRequest(service),
            },
            ctx.signal,
          ),
        );
        ctx.log(`apply ${service.name}: ${result.outcome}`, { seq: result.seq });
        return {
          outcome: result.outcome,
          version: result.version ?? null,
          outputs: result.outputs,
          resources: result.resources.map((r) => ({ id: r.id, kind: r.kind })),
        };
      },
      async verify(ctx: ExecutorContext) {
        const result = await classified(() =>
          cloud.verify(
            {
              service: ctx.service.name,
              deploymentId: ctx.deploymentId,
              idempotencyKey: ctx.idempotencyKey,
              simulate: verifySimulation(ctx.service),
            },
            ctx.signal,
          ),
        );
        return {
          healthy: result.healthy,
          version: result.version ?? null,
          detail: result.healthy ? `healthy at ${result.version ?? 'unknown version'}` : (result.detail ?? 'not deployed or unhealthy'),
        };
      },
      async snapshot({ service }, signal) {
        signal.throwIfAborted();
        const record = await classified(() => cloud.getService(service.name));
        if (!record) return null;
        const previous: SimPreviousState = {
          version: record.version,
          outputs: record.outputs,
          resources: record.resources,
          deploymentId: record.deploymentId,
        };
        return {
          version: record.version,
          outputs: record.outputs,
          resources: record.resources.map((r) => ({ id: r.id, kind: r.kind })),
          detail: previous,
        };
      },
      async compensate(ctx, action, previous) {
        const result = await classified(() =>
          cloud.compensate(
            {
              service: ctx.service.name,
              deploymentId: ctx.deploymentId,
              idempotencyKey: ctx.idempotencyKey,
              action,
              previous: (previous?.detail as SimPreviousState | undefined) ?? null,
              simulate: ctx.service.simulate ? { fail_compensation: ctx.service.simulate.fail_compensation } : undefined,
            },
            ctx.signal,
          ),
        );
        const outcome = result.outcome === 'repeat' ? result.firstOutcome : result.outcome;
        ctx.log(`compensate ${ctx.service.name}: ${action} → ${result.outcome}`);
        return { action, outcome, resources: (result.record?.resources ?? []).map((r) => ({ id: r.id, kind: r.kind })) };
      },
      async inventory(deployment, services, signal) {
        signal.throwIfAborted();
        const names = new Set(services.map((s) => s.name));
        const live = await classified(() => cloud.resources());
        const items = live
          .filter((r) => r.deploymentId === deployment.id && names.has(r.service))
          .map((r) => ({ id: r.id, kind: r.kind, service: r.service, deploymentId: r.deploymentId }));
        return { items };
      },
    };
  },
};

function simulateRequest(service: ServiceSpec) {
  const sim = service.simulate;
  if (!sim) return undefined;
  return {
    duration_ms: parseDuration(sim.duration),
    fail_transient: sim.fail_transient,
    fail_permanent: sim.fail_permanent,
    // Recorded with the service's state, so the cloud's GET /health/:service turns too.
    unhealthy_after_ms: unhealthyAfterMs(service),
  };
}

function verifySimulation(service: ServiceSpec) {
  const sim = service.simulate;
  if (!sim) return undefined;
  return { unhealthy_probes: sim.unhealthy_probes, unhealthy_after_ms: unhealthyAfterMs(service) };
}

function unhealthyAfterMs(service: ServiceSpec): number | undefined {
  const after = service.simulate?.unhealthy_after;
  return after === undefined ? undefined : parseDuration(after);
}

async function classified<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof SimCloudPermanentError) throw new PermanentDeployError(err.message, { cause: err });
    if (err instanceof SimCloudTransientError) throw new TransientDeployError(err.message, { cause: err });
    throw err;
  }
}
