/**
 * deploymentWorkflow: the parent. Validates and plans the manifest (the same pure code the CLI
 * runs), starts one serviceWorkflow child per service as soon as its dependencies succeeded and a
 * slot is free, keeps the progress the queries return, and runs the deployment's health checks.
 *
 * Its workflow ID, deploy-<name>-<environment>, is the environment lock.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  condition,
  executeChild,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { TugboatActivities as Activities } from '../activities';
import { healthQuery, progressQuery } from '../api/messages';
import type { DeploymentPhase, DeploymentResult, HealthReport, ServiceError } from '../api/progress';
import { TUGBOAT_PHASE } from '../api/search-attributes';
import { FailureTypes, type DeploymentInput, type ServiceWorkflowResult } from '../api/workflow-types';
import { formatIssues } from '../manifest/errors';
import { parseDuration, type Manifest } from '../manifest/schema';
import { validateManifest } from '../manifest/validate';
import { nextServicesToStart, planDeployment, resolveReferences, type Plan } from '../plan';
import { describeFailure } from './failures';
import { ProgressTracker } from './progress-tracker';
import { serviceWorkflow } from './service';


export async function deploymentWorkflow(input: DeploymentInput): Promise<DeploymentResult> {
  const { manifest, plan } = validateInput(input);
  const spec = manifest.deployment;
  const tracker = new ProgressTracker(input.deploymentId, manifest, plan, new Date().toISOString());
  const health: HealthReport = { services: {}, deployment: [] };
  setHandler(progressQuery, () => tracker.snapshot());
  setHandler(healthQuery, () => health);

  const setPhase = (phase: DeploymentPhase) => {
    tracker.phase = phase;
    // Upsert on phase changes only: each upsert is a history event.
    upsertSearchAttributes([{ key: TUGBOAT_PHASE, value: phase }]);
  };
  setPhase('DEPLOYING');

  const outputs: Record<string, Record<string, string>> = {};
  const succeeded = new Set<string>();
  const started = new Set<string>();
  let running = 0;
  let failure: string | undefined;

  const runService = async (name: string): Promise<void> => {
    const service = manifest.deployment.services.find((s) => s.name === name)!;
    const workflowId = `${input.deploymentId}.${name}`;
    tracker.started(name, workflowId);
    try {
      const resolved = { ...service, config: service.config && resolveReferences(service.config, outputs) };
      const result: ServiceWorkflowResult = await executeChild(serviceWorkflow, {
        workflowId,
        args: [{ deploymentId: input.deploymentId, service: resolved }],
        staticSummary: `${service.type} ${service.name}${service.version ? `@${service.version}` : ''}`,
        staticDetails: `Deployment ${input.deploymentId} of ${spec.name} to ${spec.environment}`,
        cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      });
      outputs[name] = result.outputs;
      succeeded.add(name);
      health.services[name] = { target: name, healthy: result.healthy, detail: result.healthDetail, checkedAt: now() };
      tracker.succeeded(name, result);
    } catch (err) {
      const error: ServiceError = describeFailure(err);
      tracker.failed(name, error);
      failure ??= `${name} failed: ${error.message}`;
    } finally {
      running--;
    }
  };

  // Schedule until nothing runs and nothing more may start. After a failure no new service starts;
  // running ones finish (the saga that undoes them comes with the rollback work).
  for (;;) {
    if (!failure) {
      for (const name of nextServicesToStart(plan, { succeeded, started, running }, spec.strategy)) {
        started.add(name);
        running++;
        void runService(name);
      }
      tracker.markWaiting(plan, succeeded, started);
    }
    if (running === 0) break;
    const before = { running, failed: failure };
    await condition(() => running < before.running || failure !== before.failed);
  }

  if (!failure && succeeded.size < plan.order.length) {
    failure = 'no service could start: the plan and the scheduler disagree (a bug; please report it)';
  }
  if (!failure && spec.health_checks.length > 0) {
    setPhase('HEALTH_CHECKING');
    failure = await runDeploymentHealthChecks(manifest, health);
  }

  tracker.skipUnstarted(started, failure);
  tracker.finish(now(), failure);
  setPhase(failure ? 'FAILED' : 'SUCCEEDED');
  const result = tracker.result();
  if (failure) {
    throw ApplicationFailure.create({
      type: FailureTypes.deploymentFailed,
      message: failure,
      nonRetryable: true,
      details: [result],
    });
  }
  return result;
}

function validateInput(input: DeploymentInput): { manifest: Manifest; plan: Plan } {
  // The client validated already; validating again guards against a hand-started workflow
  // (temporal CLI, Web UI) and fails fast, readably and without retrying the workflow task.
  const validated = validateManifest(input?.manifest);
  if (!validated.ok) {
    throw ApplicationFailure.nonRetryable(`invalid manifest:\n${formatIssues(validated.issues)}`, FailureTypes.manifest);
  }
  const planned = planDeployment(validated.manifest);
  if (!planned.ok) {
    throw ApplicationFailure.nonRetryable(`invalid manifest:\n${formatIssues(planned.issues)}`, FailureTypes.manifest);
  }
  if (typeof input.deploymentId !== 'string' || input.deploymentId.length === 0) {
    throw ApplicationFailure.nonRetryable('deploymentId is required', FailureTypes.manifest);
  }
  return { manifest: validated.manifest, plan: planned.plan };
}

/** Returns why the checks failed, or undefined when every endpoint answered as expected. */
async function runDeploymentHealthChecks(manifest: Manifest, health: HealthReport): Promise<string | undefined> {
  const results = await Promise.all(
    manifest.deployment.health_checks.map(async (check) => {
      const { checkEndpoint } = proxyActivities<Activities>({
        summary: `health ${check.endpoint}`,
        startToCloseTimeout: parseDuration(check.timeout) + 5_000,
        // A health probe has no side effect to wait for.
        cancellationType: ActivityCancellationType.TRY_CANCEL,
        retry: { maximumAttempts: check.retries + 1, initialInterval: 1_000, backoffCoefficient: 2 },
      });
      try {
        return await checkEndpoint(check);
      } catch (err) {
        return { target: check.endpoint, healthy: false, detail: describeFailure(err).message, checkedAt: now() };
      }
    }),
  );
  health.deployment = results;
  const bad = results.filter((r) => !r.healthy);
  if (bad.length === 0) return undefined;
  return `health check failed: ${bad.map((r) => `${r.target} (${r.detail ?? 'unhealthy'})`).join('; ')}`;
}

const now = () => new Date().toISOString();
