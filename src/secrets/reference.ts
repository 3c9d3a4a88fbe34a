/**
 * Secret references: `{ secret: "env:NAME" }` or `{ secret: "file:/path" }`, allowed wherever an
 * executor's config takes a value. The manifest, workflow inputs and history only ever hold the
 * reference; the value is read inside the activity at the moment of use (resolve.ts).
 * Pure (zod only): the manifest schema and workflow code import it.
 */
import { z } from 'zod';

export const SECRET_REFERENCE_PATTERN = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$/;

export const secretReferenceSchema = z.strictObject({
  secret: z.string().regex(SECRET_REFERENCE_PATTERN, {
    message: 'expected "env:NAME" (an environment variable of the worker) or "file:/path" (a file the worker can read)',
  }),
});
export type SecretReference = z.infer<typeof secretReferenceSchema>;

/** A plain string, or a secret reference in its place. */
export const secretOrStringSchema = z.union([z.string(), secretReferenceSchema]);
export type SecretOrString = z.infer<typeof secretOrStringSchema>;

export function isSecretReference(value: unknown): value is SecretReference {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as { secret?: unknown }).secret === 'string'
  );
}

/** How a reference is shown wherever its value would otherwise appear (logs, errors, state files). */
export function describeSecret(ref: SecretReference): string {
  return `[secret ${ref.secret}]`;
}

/** Every secret reference in a config value, with where it is (`config.env.DB_PASSWORD`). */
export function findSecretReferences(value: unknown, path = 'config'): Array<{ ref: SecretReference; path: string }> {
  if (isSecretReference(value)) return [{ ref: value, path }];
  if (Array.isArray(value)) return value.flatMap((item, i) => findSecretReferences(item, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => findSecretReferences(item, `${path}.${key}`));
  }
  return [];
}
