/**
 * Property: the ingress task format (src/ingress/task.ts parseTask) turns any string into a task or
 * a list of problems, never a throw; the ID a result is published under is always usable (the
 * task's own, or malformed-<hash>); an accepted task is well-formed (a usable id, exactly one of
 * manifest / manifest_path, only known fields); and an inline manifest of an accepted task goes
 * through what the ingress does with it (src/ingress/prepare.ts: parse or validate) without a throw.
 */
import fc from 'fast-check';
import { parseManifestText } from '../../src/manifest/parse';
import { validateManifest } from '../../src/manifest/validate';
import { TASK_ID_PATTERN, parseTask } from '../../src/ingress/task';
import { runSurface, type CaseOutcome, type RunOptions, type SurfaceReport } from '../lib/cases';
import { validManifest } from './manifest-inputs';

const FIELDS = ['id', 'manifest', 'manifest_path', 'requested_by'];

const oddValue = fc.oneof(
  fc.constantFrom<unknown>(null, 0, -1, 1e308, true, '', ' ', 'x'.repeat(300), '..', '/etc/passwd', 't-1', 'a b', 'a:b', '\u0000', '😀', [], {}, ['x'], { deployment: null }),
  fc.string({ maxLength: 30 }),
  fc.jsonValue({ maxDepth: 3 }),
);

const taskObject = fc.record(
  {
    id: fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/), oddValue),
    manifest: fc.oneof(validManifest(4), validManifest(4).map((m) => JSON.stringify(m)), oddValue),
    manifest_path: fc.oneof(fc.constantFrom('/srv/app.yaml', './m.yaml'), oddValue),
    requested_by: fc.oneof(fc.string({ maxLength: 30 }), fc.string({ minLength: 190, maxLength: 260 }), oddValue),
    extra: oddValue,
    proto: fc.constantFrom('__proto__', 'constructor', 'prototype'),
  },
  { requiredKeys: [] },
).map(({ extra, proto, ...task }) => {
  const out: Record<string, unknown> = { ...task };
  if (extra !== undefined && proto !== undefined) Object.defineProperty(out, proto, { value: extra, enumerable: true, configurable: true, writable: true });
  return out;
});

/** A task a producer would push: an id, exactly one manifest source, maybe who asked. */
const wellFormedTask = fc.record(
  {
    id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/),
    source: fc.oneof(
      fc.constantFrom('/srv/app.yaml', './m.yaml', 'relative/äöü.yaml').map((p) => ({ manifest_path: p })),
      validManifest(4).map((m) => ({ manifest: m })),
      validManifest(4).map((m) => ({ manifest: JSON.stringify(m) })),
    ),
    requested_by: fc.string({ maxLength: 200 }),
  },
  { requiredKeys: ['id', 'source'] },
).map(({ source, ...task }) => ({ ...task, ...source }));

export const taskText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: wellFormedTask.map((t) => JSON.stringify(t)) },
  { weight: 5, arbitrary: taskObject.map((t) => JSON.stringify(t)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'null', '[]', '{}', '"x"', '{"id":', '{"id":"a","id":"b","manifest_path":"/x"}', '\uFEFF{"id":"a","manifest_path":"/x"}', `{"id":"a","manifest_path":"/x","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`) },
);

const MALFORMED_ID = /^malformed-[0-9a-f]{16}$/;

export function checkTaskText(raw: string): CaseOutcome {
  const parsed = parseTask(raw);
  if (!TASK_ID_PATTERN.test(parsed.id) && !MALFORMED_ID.test(parsed.id)) return { outcome: 'violation', message: `result ID ${JSON.stringify(parsed.id)} is not usable` };
  if (!parsed.ok) {
    if (!Array.isArray(parsed.problems) || parsed.problems.length === 0) return { outcome: 'violation', message: 'refused with no problems' };
    if (parsed.problems.some((p) => typeof p !== 'string' || p.trim() === '' || !p.startsWith('task'))) return { outcome: 'violation', message: `a problem that names no field: ${JSON.stringify(parsed.problems)}` };
    return { outcome: 'refused' };
  }
  const { task } = parsed;
  const problems: string[] = [];
  if (task.id !== parsed.id || !TASK_ID_PATTERN.test(task.id)) problems.push(`id ${JSON.stringify(task.id)}`);
  if ((task.manifest === undefined) === (task.manifest_path === undefined)) problems.push('not exactly one of manifest / manifest_path');
  const unknown = Object.keys(task).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0) problems.push(`unknown fields ${unknown.join(', ')}`);
  if (task.requested_by !== undefined && (typeof task.requested_by !== 'string' || task.requested_by.length > 200)) problems.push('requested_by');
  if (task.manifest_path !== undefined && (typeof task.manifest_path !== 'string' || task.manifest_path.trim() === '')) problems.push('manifest_path');
  if (task.manifest !== undefined) {
    // What prepare.ts does with it; only a ManifestIssue list or a manifest may come out.
    const validated = typeof task.manifest === 'string' ? parseManifestText(task.manifest, `task ${task.id}`) : validateManifest(task.manifest);
    if (!validated.ok && validated.issues.length === 0) problems.push('the manifest was refused with no issues');
  }
  return problems.length > 0 ? { outcome: 'violation', message: `accepted a malformed task: ${problems.join('; ')}` } : { outcome: 'accepted' };
}

export function checkIngressTasks(opts: RunOptions): Promise<SurfaceReport> {
  return runSurface({ name: 'ingress task format', arbitrary: taskText, check: checkTaskText, describe: (t) => JSON.stringify(t) }, opts);
}
