/**
 * `executor: opentofu` (the default for `type: terraform`) config. Pure (zod only).
 * The seed's short form `config: ./terraform/vpc` is the module path alone.
 */
import { z } from 'zod';
import { durationSchema } from '../../manifest/schema';

const moduleSchema = z.string().min(1, { message: 'expected the module directory, e.g. ./infra/network' });

export const opentofuConfigObjectSchema = z.strictObject({
  /** The module directory, relative to the manifest file. */
  module: moduleSchema,
  /** Input variables: any JSON value, or `{ secret: env:NAME }` / `{ secret: file:/path }`. */
  vars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, { message: 'variable names are letters, digits, "_" and "-"' }), z.unknown()).default({}),
  /** How long tofu waits for a state lock held by someone else before the step counts as transient. */
  lock_timeout: durationSchema.default('60s'),
  /** On cancellation: SIGTERM to tofu's process group (it stops gracefully), SIGKILL after this long. */
  kill_grace: durationSchema.default('30s'),
});

export const opentofuConfigSchema = z.union([moduleSchema, opentofuConfigObjectSchema], {
  message: 'expected a module path (e.g. ./infra/network) or a mapping with `module:` and optional `vars:`',
});
export type OpentofuConfigInput = z.infer<typeof opentofuConfigSchema>;
export type OpentofuConfig = z.infer<typeof opentofuConfigObjectSchema>;

/** Both forms as the full mapping, defaults filled in. */
export function normalizeOpentofuConfig(config: OpentofuConfigInput): OpentofuConfig {
  return opentofuConfigObjectSchema.parse(typeof config === 'string' ? { module: config } : config);
}
