/**
 * What a script tells Tugboat besides its exit code: the outputs file at $TUGBOAT_OUTPUTS
 * (`{"outputs": {...}, "resources": [...]}`) and an inventory command's stdout (a JSON array of
 * resources). Both are parsed here, with messages that say what is wrong and where.
 */
import fs from 'node:fs/promises';
import { z } from 'zod';
import type { ResourceRef } from '../../api/progress';
import { InvalidJsonError, parseJsonText } from '../json';

/** What a resource is called when the script gives only its id. */
export const DEFAULT_RESOURCE_KIND = 'resource';

/** A resource: its id alone, or `{id, kind}`. */
const resourceSchema = z.union(
  [
    z.string().min(1).transform((id): ResourceRef => ({ id, kind: DEFAULT_RESOURCE_KIND })),
    z
      .object({ id: z.string().min(1), kind: z.string().min(1).default(DEFAULT_RESOURCE_KIND) })
      .transform(({ id, kind }): ResourceRef => ({ id, kind })),
  ],
  { message: 'expected a resource id (a string) or {"id": "...", "kind": "..."}' },
);

export const resourceListSchema = z.array(resourceSchema, { message: 'expected a JSON array of resource ids or {"id", "kind"} objects' });

// Strict at the top: a misspelt "output" key would otherwise lose every output without a word.
const outputsFileSchema = z.strictObject({
  outputs: z.record(z.string(), z.unknown(), { message: 'expected an object of output names to values' }).default({}),
  resources: resourceListSchema.default([]),
});

export interface ScriptOutputs {
  outputs: Record<string, string>;
  resources: ResourceRef[];
}

/** Outputs travel through workflow history: a script that writes megabytes has a bug. */
export const MAX_OUTPUTS_FILE_BYTES = 1024 * 1024;

/** A script's output that cannot be used; the message says why, without the offending text. */
export class MalformedScriptOutputError extends Error {}

/** The outputs file's content, or undefined when the command wrote none. */
export async function readOutputsFile(file: string): Promise<ScriptOutputs | undefined> {
  let size: number;
  try {
    size = (await fs.stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (size > MAX_OUTPUTS_FILE_BYTES) {
    throw new MalformedScriptOutputError(`it has ${size} bytes; the limit is ${MAX_OUTPUTS_FILE_BYTES}`);
  }
  const { outputs, resources } = parseJson(await fs.readFile(file, 'utf8'), outputsFileSchema);
  // Outputs are strings everywhere downstream (`${{ services.x.outputs.y }}`): keep structure as JSON.
  const strings = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  return { outputs: strings, resources };
}

/** JSON text checked against a schema; MalformedScriptOutputError naming the first problems. */
export function parseJson<S extends z.ZodType>(text: string, schema: S): z.infer<S> {
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch (err) {
    if (!(err instanceof InvalidJsonError)) throw err;
    throw new MalformedScriptOutputError(err.message);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new MalformedScriptOutputError(parsed.error.issues.slice(0, 3).map(describeIssue).join('; '));
  return parsed.data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const at = issue.path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${String(s)}`)).join('');
  if (issue.code === 'unrecognized_keys') return `unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}${at ? ` at ${at}` : ''} (expected "outputs" and "resources")`;
  return `${at ? `${at}: ` : ''}${issue.message}`;
}
