/**
 * What helm says about a release, read from `helm history -o json` (the revisions, oldest first: no
 * manifest and no values, so nothing secret passes through it) and `helm get manifest` (the objects
 * it made). Pure: the unit tests feed it helm's own output.
 */
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { resourceRef, type ObjectRef } from '../kubectl/objects';
import type { ResourceRef } from '../../api/progress';
import { parseJsonText } from '../json';

const revisionSchema = z.object({
  revision: z.number().int(),
  status: z.string(),
  /** `<chart name>-<chart version>`, as `helm list` shows it. */
  chart: z.string().default(''),
  app_version: z.string().default(''),
  description: z.string().default(''),
});
export type Revision = z.infer<typeof revisionSchema>;

const historySchema = z.array(revisionSchema);

export function parseHistory(stdout: string): Revision[] {
  const parsed = historySchema.safeParse(parseJsonText(stdout));
  if (!parsed.success) throw new Error('helm history printed JSON of an unexpected shape');
  return [...parsed.data].sort((a, b) => a.revision - b.revision);
}

const PENDING = new Set(['pending-install', 'pending-upgrade', 'pending-rollback']);

/** The revision helm acts on next (`helm status` shows it): the newest. */
export function current(history: Revision[]): Revision | undefined {
  return history.at(-1);
}

export function isPending(revision: Revision | undefined): boolean {
  return revision !== undefined && PENDING.has(revision.status);
}

/**
 * What a killed helm's pending release is repaired to: an install that never finished is removed
 * (nothing of it was live before), anything else goes back to the settled revision below.
 */
export type Recovery = { action: 'none' } | { action: 'uninstall' } | { action: 'rollback'; revision: number };

export function recoveryFor(history: Revision[]): Recovery {
  const latest = current(history);
  if (!latest || !isPending(latest)) return { action: 'none' };
  const target = settledRevision(history);
  return target ? { action: 'rollback', revision: target.revision } : { action: 'uninstall' };
}

/**
 * The revision that stands for the release as it is: the last one helm deployed (an upgrade that
 * failed or was killed since did not replace it: a rollback to it ends healthy, where one to the
 * failed revision would time out again), else the newest that failed (what is there). None for a
 * release that is absent, uninstalled, or only ever pending an install.
 */
export function settledRevision(history: Revision[]): Revision | undefined {
  const latest = current(history);
  if (!latest || ['uninstalled', 'uninstalling', 'pending-install'].includes(latest.status)) return undefined;
  const newest = [...history].reverse();
  return newest.find((r) => r.status === 'deployed') ?? newest.find((r) => r.status === 'failed');
}

/** `--description` of every revision Tugboat makes: which deployment and service made it. */
export function describeStep(deploymentId: string, service: string): string {
  return `tugboat ${deploymentId} ${service}`;
}

/**
 * Whether this deployment installed the release: its first revision (still in the history, which
 * helm trims to the last 10) carries the deployment's description. A failed revision loses it
 * (helm writes the error there), which only makes this say "updated" rather than "created".
 */
export function installedBy(history: Revision[], description: string): boolean {
  const first = history[0];
  return first?.revision === 1 && first.description === description;
}

/** The release itself, as an inventory item. */
export function releaseResource(namespace: string, release: string): ResourceRef {
  return { id: `helm:${namespace}/${release}`, kind: 'HelmRelease' };
}

/** Kinds that live outside namespaces, among those charts commonly hold (a manifest does not say). */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'APIService',
  'CSIDriver',
]);

/**
 * The objects of `helm get manifest`. Namespaced objects naming no namespace are in the release's.
 */
export function manifestObjects(manifest: string, namespace: string): ObjectRef[] {
  const objects: ObjectRef[] = [];
  for (const doc of parseAllDocuments(manifest)) {
    if (doc.errors.length > 0) continue; // helm applied it, so it parses; a stray fragment names nothing
    const object = doc.toJS() as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
    if (!object || typeof object.kind !== 'string' || typeof object.metadata?.name !== 'string') continue;
    const { kind } = object;
    const ns = typeof object.metadata.namespace === 'string' ? object.metadata.namespace : namespace;
    const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : 'v1';
    objects.push({ apiVersion, kind, name: object.metadata.name, namespace: CLUSTER_SCOPED.has(kind) ? undefined : ns });
  }
  return objects;
}

/**
 * The same objects named as the kubectl executor names objects (the kind, with its API group, is
 * part of the id: a ConfigMap and a Deployment are often both called `web`).
 */
export function manifestResources(manifest: string, namespace: string): ResourceRef[] {
  return manifestObjects(manifest, namespace).map(resourceRef);
}
