/**
 * `executor: shell` config. Pure (zod only): `plan` checks a manifest against it.
 * Commands are argv lists, run without a shell: a value from the manifest or an upstream output is
 * always one argument, never shell syntax. Secrets go through `env`, never argv (argv is visible
 * to every user of the machine in `ps`).
 */
import { z } from 'zod';
import { durationSchema } from '../../manifest/schema';
import { secretOrStringSchema } from '../../secrets/reference';

const argvSchema = z
  .array(z.string(), { message: 'expected a command as a list, e.g. [./scripts/migrate.sh, --db, prod]' })
  .min(1, { message: 'a command needs at least the program, e.g. [./scripts/migrate.sh]' });

export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const shellConfigSchema = z.strictObject({
  /** The deployment step. A relative program path (./x.sh) is relative to the manifest file. */
  run: argvSchema,
  /** The compensation; without it the service is retained on rollback. */
  undo: argvSchema.optional(),
  /** Exit 0 = healthy. Without it, a successful `run` is healthy. */
  verify: argvSchema.optional(),
  /** Prints a JSON array of live resource ids; without it the orphan check reports the service as unverifiable. */
  inventory: argvSchema.optional(),
  /** Working directory, relative to the manifest file. */
  cwd: z.string().min(1).default('.'),
  env: z
    .record(z.string().regex(ENV_NAME_PATTERN, { message: 'environment variable names are letters, digits and "_"' }), secretOrStringSchema)
    .default({}),
  /** Exit codes worth retrying (75 is EX_TEMPFAIL); any other non-zero exit is permanent. */
  transient_exit_codes: z.array(z.number().int().min(1).max(255)).default([75]),
  /** On cancellation: SIGTERM to the command's process group, SIGKILL after this long. */
  kill_grace: durationSchema.default('10s'),
});
export type ShellConfig = z.infer<typeof shellConfigSchema>;
