/**
 * What a snapshot keeps of each object (in the rollback manifest, the state store): absent, its
 * previous state reduced to what re-applying needs, or for a Secret only that it existed and
 * which Tugboat labels it carried (its data, and annotations that may copy it, are never kept).
 */
import { z } from 'zod';
import type { ServiceStateRecord } from '../../state/types';
import { snapshotRecord } from '../service-record';
import type { PreviousState } from '../types';
import { applicableState, DEPLOYMENT_ID_ANNOTATION, DEPLOYMENT_LABEL, isKubeObject, MANAGED_BY_LABEL, SERVICE_LABEL, type KubeObject, type ObjectRef } from './objects';

export const objectRefSchema = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  namespace: z.string().optional(),
  name: z.string(),
});

const kubeObjectSchema = z.custom<KubeObject>(isKubeObject);

/** The Tugboat labels and annotation a Secret carried: what a restore puts back (never its data). */
const secretOwnerSchema = z.object({
  labels: z.record(z.string(), z.string()),
  deploymentId: z.string().optional(),
});

export const snapshotEntrySchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('absent'), ref: objectRefSchema }),
  z.object({ state: z.literal('present'), ref: objectRefSchema, object: kubeObjectSchema }),
  z.object({ state: z.literal('secret'), ref: objectRefSchema, tugboat: secretOwnerSchema }),
]);
export type SnapshotEntry = z.infer<typeof snapshotEntrySchema>;

const snapshotDetailSchema = z.object({
  objects: z.array(snapshotEntrySchema),
  /** The service-state record as it was: written back on a restore. */
  record: z.unknown().optional(),
});
export interface SnapshotDetail {
  objects: SnapshotEntry[];
  record?: ServiceStateRecord;
}

const TUGBOAT_LABELS = [MANAGED_BY_LABEL, DEPLOYMENT_LABEL, SERVICE_LABEL];

/** One object's entry: `live` as read from the API, or undefined when there is none. */
export function snapshotEntry(ref: ObjectRef, live: KubeObject | undefined): SnapshotEntry {
  if (!live) return { state: 'absent', ref };
  const liveRef = { ...ref, ...(live.metadata.namespace ? { namespace: live.metadata.namespace } : {}) };
  if (live.kind === 'Secret') {
    const labels = Object.fromEntries(TUGBOAT_LABELS.flatMap((k) => (live.metadata.labels?.[k] ? [[k, live.metadata.labels[k]]] : [])));
    const deploymentId = live.metadata.annotations?.[DEPLOYMENT_ID_ANNOTATION];
    return { state: 'secret', ref: liveRef, tugboat: { labels, ...(deploymentId ? { deploymentId } : {}) } };
  }
  return { state: 'present', ref: liveRef, object: applicableState(live) };
}

/** The labels and annotation to set back on a Secret (null: remove what this deployment added). */
export function secretRelabel(entry: Extract<SnapshotEntry, { state: 'secret' }>): { labels: Record<string, string | null>; annotations: Record<string, string | null> } {
  return {
    labels: Object.fromEntries(TUGBOAT_LABELS.map((k) => [k, entry.tugboat.labels[k] ?? null])),
    annotations: { [DEPLOYMENT_ID_ANNOTATION]: entry.tugboat.deploymentId ?? null },
  };
}

export function snapshotDetailOf(previous: PreviousState): SnapshotDetail | undefined {
  const parsed = snapshotDetailSchema.safeParse(previous.detail);
  if (!parsed.success) return undefined;
  const record = snapshotRecord({ ...previous, detail: parsed.data.record });
  return { objects: parsed.data.objects, ...(record ? { record } : {}) };
}
