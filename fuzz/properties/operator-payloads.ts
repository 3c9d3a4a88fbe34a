/**
 * Property: every operator update's validator (src/workflows/operator-handlers.ts updateRefusals,
 * the code the workflow's validators run) refuses a payload of the wrong shape — a number, a string,
 * a list, a field of the wrong type, an unknown field — with a reason naming the field or the
 * input, whatever the deployment's state; never throws; answers a well-formed payload exactly as
 * the state rule alone would (the shape check refuses nothing valid); and keeps every refusal short
 * (it is sent back through Temporal).
 */
import fc from 'fast-check';
import type { DeploymentPhase, ServiceState } from '../../src/api/progress';
import { updateRefusals } from '../../src/workflows/operator-handlers';
import type { RequestContext } from '../../src/workflows/operator-rules';
import { runSurface, type CaseOutcome, type RunOptions, type SurfaceReport } from '../lib/cases';

type UpdateName = keyof typeof updateRefusals;

const UPDATES = Object.keys(updateRefusals) as UpdateName[];
const PHASES: DeploymentPhase[] = ['VALIDATING', 'DEPLOYING', 'PAUSED', 'HALTED', 'HEALTH_CHECKING', 'BAKING', 'SUCCEEDED', 'PARTIAL', 'FAILED', 'ROLLING_BACK', 'ROLLBACK_BLOCKED', 'ROLLED_BACK', 'CANCELLED'];
const STATES: ServiceState[] = ['PENDING', 'WAITING', 'AWAITING_APPROVAL', 'UNCHANGED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED', 'ROLLING_BACK', 'ROLLED_BACK', 'RETAINED', 'ROLLBACK_BLOCKED'];
const SERVICE_NAMES = ['db', 'api', 'web', 'cache'];

/** The fields each update takes, and their types (the oracle the validators are checked against). */
const FIELDS: Record<UpdateName, Record<string, 'string' | 'boolean' | 'string list'>> = {
  pause: { reason: 'string', by: 'string' },
  resume: { reason: 'string', by: 'string' },
  request_cancel: { reason: 'string', by: 'string' },
  request_rollback: { reason: 'string', by: 'string' },
  accept: { reason: 'string', by: 'string' },
  approve: { reason: 'string', by: 'string', service: 'string' },
  reject: { reason: 'string', by: 'string', service: 'string' },
  retry_service: { reason: 'string', by: 'string', service: 'string' },
  continue_rollback: { reason: 'string', by: 'string', retry: 'boolean', skip: 'string list' },
};

const context: fc.Arbitrary<RequestContext> = fc
  .record({
    phase: fc.constantFrom(...PHASES),
    stopped: fc.constantFrom(undefined, 'failure', 'cancel', 'rollback'),
    awaitingDecision: fc.boolean(),
    decided: fc.boolean(),
    continuePending: fc.boolean(),
    paused: fc.boolean(),
    halted: fc.boolean(),
    states: fc.array(fc.constantFrom(...STATES), { minLength: SERVICE_NAMES.length, maxLength: SERVICE_NAMES.length }),
    blocked: fc.subarray(SERVICE_NAMES),
    decidedApprovals: fc.subarray(SERVICE_NAMES),
  })
  .map(({ states, blocked, ...rest }) => ({
    ...rest,
    services: Object.fromEntries(SERVICE_NAMES.map((name, i) => [name, states[i]])),
    blocked: blocked.map((service) => ({ service, resources: [{ id: `${service}-r1`, kind: 'instance' }], error: 'boom' })),
  }));

const wrongValue = fc.oneof(
  fc.constantFrom<unknown>(0, -1, 1.5, Number.NaN, true, false, '', 'x', [], {}, ['a'], [1], { a: 1 }, 'x'.repeat(100_000)),
  fc.jsonValue({ maxDepth: 2 }),
);

/** A payload of the right shape: known fields, right types (values taken from the deployment's names, or random). */
const wellFormed = (update: UpdateName): fc.Arbitrary<Record<string, unknown>> => {
  const fields = FIELDS[update];
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, type] of Object.entries(fields)) {
    if (key === 'service') model[key] = fc.oneof(fc.constantFrom(...SERVICE_NAMES, 'ghost'), fc.stringMatching(/^[a-z0-9-]{1,63}$/));
    else if (type === 'string') model[key] = fc.string({ maxLength: 600 });
    else if (type === 'boolean') model[key] = fc.boolean();
    else model[key] = fc.array(fc.constantFrom(...SERVICE_NAMES, 'db-r1', 'api-r1', 'nope'), { maxLength: 4 });
  }
  return fc.record(model, { requiredKeys: [] });
};

type Payload = { input: unknown; wellFormed: boolean; why: string };

/** A payload of the wrong shape, and which field (or the input) the refusal must name. */
const badPayload = (update: UpdateName): fc.Arbitrary<Payload> =>
  fc.oneof(
    fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 20 }), fc.boolean(), fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 })).map((input) => ({ input, wellFormed: false, why: 'input' })),
    fc.tuple(wellFormed(update), fc.constantFrom(...Object.keys(FIELDS[update])), wrongValue)
      .filter(([, key, value]) => !fitsType(FIELDS[update][key], value))
      .map(([base, key, value]) => ({ input: { ...base, [key]: value }, wellFormed: false, why: key })),
    fc.tuple(wellFormed(update), fc.oneof(fc.constantFrom('services', 'Service', 'reasons', 'skip', 'retry', 'service', '__proto__', 'constructor', ''), fc.string({ maxLength: 10 })), fc.jsonValue({ maxDepth: 1 }))
      .filter(([, key]) => !Object.hasOwn(FIELDS[update], key))
      .map(([base, key, value]) => {
        const input: Record<string, unknown> = { ...base };
        Object.defineProperty(input, key, { value, enumerable: true, configurable: true, writable: true });
        return { input, wellFormed: false, why: key };
      }),
  );

function fitsType(type: 'string' | 'boolean' | 'string list', value: unknown): boolean {
  if (type === 'string list') return Array.isArray(value) && value.every((v) => typeof v === 'string');
  return typeof value === type;
}

export interface OperatorCase {
  update: UpdateName;
  ctx: RequestContext;
  payload: Payload;
}

/** Built once per update (building arbitraries per case made the property ten times slower). */
const PAYLOADS = Object.fromEntries(
  UPDATES.map((update) => [
    update,
    fc.oneof(
      { weight: 2, arbitrary: badPayload(update) },
      { weight: 1, arbitrary: fc.oneof(wellFormed(update), fc.constantFrom(undefined, null)).map((input) => ({ input, wellFormed: true, why: '' })) },
    ),
  ]),
) as Record<UpdateName, fc.Arbitrary<Payload>>;

export const operatorCase: fc.Arbitrary<OperatorCase> = fc.constantFrom(...UPDATES).chain((update) =>
  fc.record({ update: fc.constant(update), ctx: context, payload: PAYLOADS[update] }),
);

/** Refusals travel back to the caller through Temporal: bounded, whatever the payload held. */
const MAX_REFUSAL_CHARS = 2_000;

/** The same validator with the payload's details stripped: what the state rule alone says. */
function ruleOnly(update: UpdateName, input: unknown, ctx: RequestContext): string | undefined {
  return updateRefusals[update](input, ctx);
}

export function checkOperatorCase({ update, ctx, payload }: OperatorCase): CaseOutcome {
  const refusal = updateRefusals[update](payload.input, ctx);
  if (refusal !== undefined && (typeof refusal !== 'string' || refusal.trim() === '')) return { outcome: 'violation', message: `a refusal that says nothing: ${JSON.stringify(refusal)}` };
  if (refusal && refusal.length > MAX_REFUSAL_CHARS) return { outcome: 'violation', message: `a refusal of ${refusal.length} characters` };
  if (!payload.wellFormed) {
    if (refusal === undefined) return { outcome: 'violation', message: `${update} accepted a payload with a bad ${payload.why}` };
    // Unknown keys are quoted as JSON (and long ones cut): look for the start of the quoted form.
    const named = payload.why === 'input' ? /input/.test(refusal) : refusal.includes(payload.why.slice(0, 30)) || refusal.includes(JSON.stringify(payload.why.slice(0, 20)).slice(1, -1));
    if (!named) return { outcome: 'violation', message: `${update} refused a bad ${JSON.stringify(payload.why)} without naming it: ${refusal}` };
    return { outcome: 'refused' };
  }
  // Well-formed: the shape check must pass it, so the answer is the state rule's (checked by the same call with no details).
  const expected = ruleOnly(update, {}, ctx);
  const detailsMatter = update === 'approve' || update === 'reject' || update === 'retry_service' || update === 'continue_rollback';
  if (!detailsMatter && refusal !== expected) return { outcome: 'violation', message: `${update}: a well-formed payload changed the answer: ${refusal} (without it: ${expected})` };
  if (refusal !== undefined && /must be|unknown field|must be an object/.test(refusal)) return { outcome: 'violation', message: `${update} refused a well-formed payload for its shape: ${refusal}` };
  return refusal === undefined ? { outcome: 'accepted' } : { outcome: 'refused' };
}

export function checkOperatorPayloads(opts: RunOptions): Promise<SurfaceReport> {
  return runSurface(
    {
      name: 'operator update payloads (validators)',
      arbitrary: operatorCase,
      check: checkOperatorCase,
      describe: (c) => `${c.update} ${JSON.stringify(c.payload.input)?.slice(0, 200)} in ${JSON.stringify(c.ctx).slice(0, 200)}`,
    },
    opts,
  );
}
