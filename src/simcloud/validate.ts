/**
 * Request body checks. Hand-written (no schema library) to keep the simulated cloud dependency-free;
 * every failure is a 400 that names the offending field, so a broken caller is easy to fix.
 */
import { badRequest } from './fault';
import {
  COMPENSATE_ACTIONS,
  MUTATING_OPS,
  SIM_SERVICE_TYPES,
  type ApplyRequest,
  type CompensateRequest,
  type FaultOverride,
  type HoldOp,
  type PreviousState,
  type Resource,
  type VerifyRequest,
} from './types';

type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectField(body: Json, field: string): Json | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (!isObject(value)) throw badRequest(`field "${field}" must be an object`);
  return value;
}

function requiredString(body: Json, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw badRequest(`missing or invalid field "${field}": expected a non-empty string`);
  }
  return value;
}

function optionalString(body: Json, field: string): string | undefined {
  const value = body[field];
  if (value !== undefined && typeof value !== 'string') throw badRequest(`field "${field}" must be a string`);
  return value;
}

function optionalBoolean(body: Json, field: string): boolean | undefined {
  const value = body[field];
  if (value !== undefined && typeof value !== 'boolean') throw badRequest(`field "${field}" must be a boolean`);
  return value;
}

function optionalCount(body: Json, field: string): number | undefined {
  const value = body[field];
  if (value !== undefined && !(typeof value === 'number' && Number.isInteger(value) && value >= 0)) {
    throw badRequest(`field "${field}" must be a non-negative integer`);
  }
  return value;
}

function oneOf<T extends string>(body: Json, field: string, allowed: readonly T[]): T {
  const value = body[field];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw badRequest(`missing or invalid field "${field}": expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function parseApply(service: string, body: Json): ApplyRequest {
  const simulate = objectField(body, 'simulate');
  return {
    service,
    deploymentId: requiredString(body, 'deploymentId'),
    type: oneOf(body, 'type', SIM_SERVICE_TYPES),
    version: optionalString(body, 'version'),
    config: body.config,
    idempotencyKey: requiredString(body, 'idempotencyKey'),
    simulate: simulate && {
      duration_ms: optionalCount(simulate, 'duration_ms'),
      fail_transient: optionalCount(simulate, 'fail_transient'),
      fail_permanent: optionalBoolean(simulate, 'fail_permanent'),
      unhealthy_after_ms: optionalCount(simulate, 'unhealthy_after_ms'),
    },
  };
}

export function parseVerify(service: string, body: Json): VerifyRequest {
  const simulate = objectField(body, 'simulate');
  return {
    service,
    deploymentId: requiredString(body, 'deploymentId'),
    idempotencyKey: requiredString(body, 'idempotencyKey'),
    simulate: simulate && {
      unhealthy_probes: optionalCount(simulate, 'unhealthy_probes'),
      unhealthy_after_ms: optionalCount(simulate, 'unhealthy_after_ms'),
    },
  };
}

function parseResource(value: unknown, index: number): Resource {
  const where = `previous.resources[${index}]`;
  if (!isObject(value)) throw badRequest(`field "${where}" must be a resource object`);
  for (const field of ['id', 'kind', 'service', 'deploymentId']) {
    if (typeof value[field] !== 'string') throw badRequest(`field "${where}.${field}" must be a string`);
  }
  if (value.version !== null && typeof value.version !== 'string') {
    throw badRequest(`field "${where}.version" must be a string or null`);
  }
  if (typeof value.createdSeq !== 'number') throw badRequest(`field "${where}.createdSeq" must be a number`);
  return value as unknown as Resource;
}

function parsePrevious(body: Json): PreviousState | null {
  const value = body.previous;
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw badRequest('field "previous" must be an object or null');
  if (value.version !== null && typeof value.version !== 'string') {
    throw badRequest('field "previous.version" must be a string or null');
  }
  const outputs = value.outputs ?? {};
  if (!isObject(outputs) || Object.values(outputs).some((v) => typeof v !== 'string')) {
    throw badRequest('field "previous.outputs" must be an object of strings');
  }
  if (!Array.isArray(value.resources)) throw badRequest('field "previous.resources" must be an array');
  return {
    version: value.version as string | null,
    outputs: outputs as Record<string, string>,
    resources: value.resources.map(parseResource),
    deploymentId: optionalString(value, 'deploymentId'),
  };
}

export function parseCompensate(service: string, body: Json): CompensateRequest {
  const simulate = objectField(body, 'simulate');
  return {
    service,
    deploymentId: requiredString(body, 'deploymentId'),
    idempotencyKey: requiredString(body, 'idempotencyKey'),
    action: oneOf(body, 'action', COMPENSATE_ACTIONS),
    previous: parsePrevious(body),
    simulate: simulate && { fail_compensation: optionalBoolean(simulate, 'fail_compensation') },
  };
}

export function parseHold(body: Json): { service: string; op: HoldOp } {
  return { service: requiredString(body, 'service'), op: oneOf(body, 'op', MUTATING_OPS) };
}

export function parseHoldOp(op: string): HoldOp {
  return oneOf({ op }, 'op', MUTATING_OPS);
}

export function parseOverride(body: Json): FaultOverride {
  const override: FaultOverride = {
    fail_compensation: optionalBoolean(body, 'fail_compensation'),
    fail_permanent: optionalBoolean(body, 'fail_permanent'),
    fail_transient: optionalCount(body, 'fail_transient'),
    unhealthy_probes: optionalCount(body, 'unhealthy_probes'),
    unhealthy_after_ms: optionalCount(body, 'unhealthy_after_ms'),
  };
  // Drop absent fields: an override only replaces what it names.
  return Object.fromEntries(Object.entries(override).filter(([, v]) => v !== undefined)) as FaultOverride;
}
