/**
 * `executor: http`: a service deployed by one HTTP request (a deploy hook, a release API, a
 * feature-flag flip) and rolled back by another. The server is the world: it is asked to dedupe
 * by Idempotency-Key, and what it answered is kept in the service-state store, since there is no
 * way to ask it later what exists.
 */
import { parseDuration, type ServiceSpec } from '../../manifest/schema';
import { PermanentDeployError } from '../errors';
import { applyOutcome, appliedRecord, parseConfig, restoredRecord, snapshotOf, stateKey, type AppliedBy } from '../service-record';
import type { CompensationAction, Executor, ExecutorFactory, PreviousState, ServiceTarget } from '../types';
import { pickJsonPath } from './json-path';
import { sendRequest } from './request';
import { httpConfigSchema, type HttpConfig } from './schema';
import { hostProvider } from '../../resilience/provider';

export const HTTP_RESOURCE_KIND = 'http-request';
/** Sent with the undo request so one endpoint can tell a rollback of a new service from a restore. */
export const UNDO_HEADER = 'X-Tugboat-Undo';
export const PREVIOUS_VERSION_HEADER = 'X-Tugboat-Previous-Version';

const EXECUTOR = 'http';

/** What apply keeps in the service-state record's `detail`. */
interface HttpDetail extends AppliedBy {
  status: number;
}

export const httpExecutor: ExecutorFactory = {
  name: EXECUTOR,
  description:
    'Deploys with one HTTP request and rolls back with another (`undo`); outputs are picked from the JSON response.',
  configSchema: httpConfigSchema,
  examples: [
    `- name: release-api
  type: http
  version: v2.3.0
  dependencies: [backend-api]
  config:
    request:
      method: POST
      url: https://deploy.example.com/api/releases
      headers:
        Authorization: { secret: "env:DEPLOY_API_TOKEN" }
      body: { service: backend-api, version: v2.3.0 }
    undo:
      method: DELETE
      url: https://deploy.example.com/api/releases/backend-api
      headers:
        Authorization: { secret: "env:DEPLOY_API_TOKEN" }
    outputs:
      release_id: $.release.id
      first_url: $.release.urls[0]
  health_check: { url: "https://backend.example.com/healthz", expected_status: 200, interval: 2s }`,
    `- name: cache-flush
  type: http
  config:
    request: { method: PUT, url: "https://cdn.example.com/purge", body: "all" }`,
  ],
  create({ serviceState }): Executor {
    return {
      /** The host its request goes to: services calling one host share its breaker and retry budget. */
      provider(service) {
        return hostProvider(EXECUTOR, configOf(service).request.url) ?? EXECUTOR;
      },

      async apply(ctx) {
        const config = configOf(ctx.service);
        const stepDeadlineMs = stepDeadline(ctx.service);
        const key = stateKey(ctx);
        const before = await serviceState.getServiceState(key);
        const response = await sendRequest(ctx, config.request, { stepDeadlineMs });
        const outcome = applyOutcome(before, ctx, before ? 'updated' : 'created');
        // The server may echo a header back: nothing resolved may reach the state file.
        const outputs = ctx.secrets.redactDeep(pickOutputs(config, response.json));
        const resources = [{ id: ctx.secrets.redact(resourceId(ctx.service.name, response.json)), kind: HTTP_RESOURCE_KIND }];
        const version = ctx.service.version ?? null;
        await serviceState.saveServiceState(key, appliedRecord(ctx, EXECUTOR, { version, outputs, resources }, outcome, { status: response.status }));
        return { outcome, version, outputs, resources };
      },

      // The server gives no second answer to ask for: apply's own success is the health. A
      // `health_check` on the service is probed separately, after this.
      async verify(ctx) {
        const record = await serviceState.getServiceState(stateKey(ctx));
        const detail = httpDetail(record?.detail);
        if (!record || !detail || record.deploymentId !== ctx.deploymentId) {
          throw new PermanentDeployError(
            `no record that deployment ${ctx.deploymentId} applied ${ctx.service.name} ` +
              `(the service-state store has ${record ? `one from ${record.deploymentId}` : 'none'}); ` +
              'workers running one deployment must share the state store',
          );
        }
        return { healthy: true, version: record.version, detail: `HTTP ${detail.status}` };
      },

      async snapshot(target: ServiceTarget, signal: AbortSignal): Promise<PreviousState | null> {
        signal.throwIfAborted();
        return snapshotOf(await serviceState.getServiceState(stateKey(target)));
      },

      async compensate(ctx, action, previous) {
        const config = configOf(ctx.service);
        const key = stateKey(ctx);
        if (action === 'retain' || !config.undo) {
          const current = await serviceState.getServiceState(key);
          return {
            action: 'retain',
            outcome: config.undo ? 'retained' : 'retained (no undo request)',
            resources: current?.deploymentId === ctx.deploymentId ? current.resources : [],
          };
        }
        const answer = await sendRequest(ctx, config.undo, {
          extraHeaders: undoHeaders(action, previous),
          stepDeadlineMs: stepDeadline(ctx.service),
          absentIsDone: true,
        });
        // 404/410: nothing there to undo (an earlier attempt did it, or it never got made). The record
        // still goes the way the undo would have taken it, so a re-run finds the same.
        if (answer.absent) ctx.log(`compensate ${ctx.service.name}: the undo request answered ${answer.status}, already absent`);
        if (action === 'restore' && previous) {
          await serviceState.saveServiceState(key, restoredRecord(previous, EXECUTOR));
          return { action, outcome: answer.absent ? 'noop' : 'restored', resources: previous.resources };
        }
        // delete, or restore to "did not exist before": either way nothing is left to remember.
        await serviceState.deleteServiceState(key);
        return { action, outcome: answer.absent ? 'noop' : action === 'delete' ? 'deleted' : 'restored (to absent)', resources: [] };
      },

      async inventory(_deployment, services, signal) {
        signal.throwIfAborted();
        return {
          items: [],
          unverifiable: services.map((s) => ({ service: s.name, reason: 'http executor cannot list live resources' })),
        };
      },
    };
  },
};

function configOf(service: ServiceSpec): HttpConfig {
  return parseConfig(service, EXECUTOR, httpConfigSchema);
}

/** When the step's own timeout (one attempt) ends, measured from now: the method's start. */
function stepDeadline(service: ServiceSpec): number {
  return Date.now() + parseDuration(service.timeout);
}

function pickOutputs(config: HttpConfig, json: unknown): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const [name, path] of Object.entries(config.outputs)) {
    const picked = json === undefined ? { found: false as const } : pickJsonPath(json, path);
    if (!picked.found) {
      throw new PermanentDeployError(
        `output ${name}: ${path} is not in the response${json === undefined ? ' (the response is not JSON)' : ''}`,
      );
    }
    outputs[name] = typeof picked.value === 'string' ? picked.value : JSON.stringify(picked.value);
  }
  return outputs;
}

/** The response's own `id` when it has one (what the server calls the thing it made), else one per service. */
function resourceId(service: string, json: unknown): string {
  const id = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : `${service}:http`;
}

function undoHeaders(action: Exclude<CompensationAction, 'retain'>, previous: PreviousState | null): Record<string, string> {
  const headers: Record<string, string> = { [UNDO_HEADER]: action };
  if (action === 'restore' && previous?.version) headers[PREVIOUS_VERSION_HEADER] = previous.version;
  return headers;
}

function httpDetail(value: unknown): HttpDetail | undefined {
  const d = value as Partial<HttpDetail> | null | undefined;
  return typeof d === 'object' && d !== null && typeof d.status === 'number' && typeof d.idempotencyKey === 'string'
    ? (d as HttpDetail)
    : undefined;
}
