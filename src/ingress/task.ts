/**
 * A raw task (the string taken from the pending list) → a checked IngressTask, or the problems
 * that make it malformed, each naming the field. A task always ends with an ID to publish its
 * result under: its own when usable, else `malformed-<hash of the raw text>` (stable, so a
 * re-driven copy of the same garbage maps to the same result key).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { IngressTask } from '../api/ingress';

/** Safe in a Redis key, a workflow ID and a log line: no spaces, quotes or colons. */
export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const TASK_ID_RULE = '1-128 letters, digits, ".", "_" or "-", starting with a letter or digit';

const taskSchema = z.strictObject({
  id: z.string({ error: `must be a string of ${TASK_ID_RULE}` }).regex(TASK_ID_PATTERN, `must be ${TASK_ID_RULE}`),
  manifest: z
    .union([z.string().trim().min(1), z.record(z.string(), z.unknown())], {
      error: 'must be the manifest as a YAML/JSON string or as an object',
    })
    .optional(),
  manifest_path: z.string({ error: 'must be a path string' }).trim().min(1, 'must not be empty').optional(),
  requested_by: z.string({ error: 'must be a string' }).max(200, 'must be at most 200 characters').optional(),
});

export type ParsedTask = { ok: true; id: string; task: IngressTask } | { ok: false; id: string; problems: string[] };

/** The ID a task's result goes under when the task has no usable one. */
export function malformedTaskId(raw: string): string {
  return `malformed-${createHash('sha256').update(raw).digest('hex').slice(0, 16)}`;
}

export function parseTask(raw: string): ParsedTask {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    return malformed(raw, [`task: not JSON (${(err as Error).message}); push a JSON object such as {"id": "t-1", "manifest_path": "/srv/app.yaml"}`]);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return malformed(raw, [`task: must be a JSON object with "id" and "manifest" or "manifest_path" (got ${Array.isArray(json) ? 'a list' : typeof json})`]);
  }
  const record = json as Record<string, unknown>;
  const id = typeof record.id === 'string' && TASK_ID_PATTERN.test(record.id) ? record.id : malformedTaskId(raw);
  const parsed = taskSchema.safeParse(json);
  const hasId = 'id' in record;
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => describeIssue(issue, hasId));
  if (!hasId) problems.unshift(`task.id: missing; give every task a unique id (${TASK_ID_RULE})`);
  const hasManifest = record.manifest !== undefined;
  const hasPath = record.manifest_path !== undefined;
  if (hasManifest === hasPath) {
    problems.push(`task.manifest / task.manifest_path: give exactly one (got ${hasManifest ? 'both' : 'neither'})`);
  }
  if (!parsed.success || problems.length > 0) return { ok: false, id, problems: dedupe(problems) };
  return { ok: true, id, task: parsed.data };
}

function malformed(raw: string, problems: string[]): ParsedTask {
  return { ok: false, id: malformedTaskId(raw), problems };
}

function describeIssue(issue: z.core.$ZodIssue, hasId: boolean): string {
  if (issue.code === 'unrecognized_keys') {
    return `task: unknown field(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; a task has id, manifest or manifest_path, requested_by`;
  }
  const field = ['task', ...issue.path.map(String)].join('.');
  // A missing id is reported once, above, with the rule. (Not told by issue.input: zod leaves it
  // out of issues, so an id of the wrong type, `"id": 5`, was dropped too and the task was refused
  // with no problem at all; found by the fuzzer, FUZZ.md.)
  if (field === 'task.id' && issue.code === 'invalid_type' && !hasId) return '';
  return `${field}: ${issue.message}`;
}

function dedupe(problems: string[]): string[] {
  return [...new Set(problems.filter((p) => p !== ''))];
}
