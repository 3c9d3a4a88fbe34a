/**
 * `executor: helm` config: one release of a local chart. Pure (zod only).
 */
import { z } from 'zod';
import { durationSchema } from '../../manifest/schema';
import { namespaceSchema, waitSchema } from '../kubectl/schema';

/** Helm's own rule for release names (DNS-1123 label, at most 53 characters). */
const RELEASE_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** `image.tag`: a dotted path into the values. */
const VALUE_PATH_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export const helmConfigSchema = z.strictObject({
  /** A chart directory (or packaged .tgz), relative to the manifest file. */
  chart: z.string().min(1, { message: 'expected a chart directory, e.g. ./charts/web' }),
  /** Default: the service's name. */
  release: z.string().max(53).regex(RELEASE_PATTERN, { message: 'a release name is lowercase letters, digits and "-" (at most 53)' }).optional(),
  namespace: namespaceSchema.optional(),
  /** Values, as in a values file; any value may be a secret reference (passed through a private temporary file). */
  values: z.record(z.string(), z.unknown()).default({}),
  /** Values files applied before `values`, relative to the manifest file. */
  values_files: z.array(z.string().min(1)).default([]),
  /** Which value the service's `version` sets; false: none. */
  version_value: z.union([z.string().regex(VALUE_PATH_PATTERN, { message: 'expected a dotted path such as "image.tag"' }), z.literal(false)]).default('image.tag'),
  wait: waitSchema.prefault({}),
  context: z.string().min(1).optional(),
  /** On cancellation: SIGTERM to helm, SIGKILL after this long (helm records the release as failed on SIGTERM). */
  kill_grace: durationSchema.default('30s'),
});
export type HelmConfig = z.infer<typeof helmConfigSchema>;
