/**
 * `executor: kubectl` (the default for `type: kubernetes`) config. Pure (zod only).
 * The seed's short form `config: ./k8s/backend` is the manifests path alone.
 */
import { z } from 'zod';
import { durationSchema } from '../../manifest/schema';
import { secretReferenceSchema } from '../../secrets/reference';

/** RFC 1123 label: what Kubernetes accepts for a namespace. */
export const K8S_NAMESPACE_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
/** RFC 1123 subdomain: what Kubernetes accepts for a ConfigMap or Secret name. */
export const K8S_OBJECT_NAME_PATTERN = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
/** Keys of a ConfigMap's or Secret's data. */
const DATA_KEY_PATTERN = /^[-._a-zA-Z0-9]+$/;

export const namespaceSchema = z
  .string()
  .max(63)
  .regex(K8S_NAMESPACE_PATTERN, { message: 'a namespace is lowercase letters, digits and "-" (e.g. "shop")' });
const objectNameSchema = z
  .string()
  .max(253)
  .regex(K8S_OBJECT_NAME_PATTERN, { message: 'a Kubernetes name is lowercase letters, digits, "-" and "." (e.g. "backend-config")' });
const dataKeySchema = z.string().regex(DATA_KEY_PATTERN, { message: 'a data key is letters, digits, "-", "_" and "."' });

const manifestsSchema = z.string().min(1, { message: 'expected a file or directory of manifests, e.g. ./k8s/backend' });

export const waitSchema = z.strictObject({
  /** How long each workload's rollout may take before verify fails it. */
  timeout: durationSchema.default('5m'),
});

export const kubectlConfigObjectSchema = z.strictObject({
  /** A YAML/JSON file, a directory of them, or a kustomization directory; relative to the manifest file. */
  manifests: manifestsSchema,
  /** Namespace for objects that name none; created (and removed on rollback) if it does not exist. */
  namespace: namespaceSchema.optional(),
  /** Container image name in the manifests → the repository to deploy it from; the tag is the service's `version`. */
  images: z.record(z.string().min(1), z.string().min(1)).default({}),
  /** ConfigMaps generated beside the manifests: where dependencies' outputs (`${{ services.x.outputs.y }}`) reach the cluster. */
  config_maps: z.record(objectNameSchema, z.record(dataKeySchema, z.string())).default({}),
  /** Secrets generated beside the manifests, from secret references only: resolved on the worker, never stored. */
  secrets: z
    .record(objectNameSchema, z.record(dataKeySchema, secretReferenceSchema, { message: 'Secret values must be references: { secret: env:NAME } or { secret: file:/path }' }))
    .default({}),
  wait: waitSchema.prefault({}),
  /** A kubeconfig context; default: the current context of the worker's KUBECONFIG. */
  context: z.string().min(1).optional(),
  /** On cancellation: SIGTERM to kubectl, SIGKILL after this long. */
  kill_grace: durationSchema.default('10s'),
});

export const kubectlConfigSchema = z.union([manifestsSchema, kubectlConfigObjectSchema], {
  message: 'expected a manifests path (e.g. ./k8s/backend) or a mapping with `manifests:`',
});
export type KubectlConfigInput = z.infer<typeof kubectlConfigSchema>;
export type KubectlConfig = z.infer<typeof kubectlConfigObjectSchema>;

/** Both forms as the full mapping, defaults filled in. */
export function normalizeKubectlConfig(config: KubectlConfigInput): KubectlConfig {
  return kubectlConfigObjectSchema.parse(typeof config === 'string' ? { manifests: config } : config);
}
