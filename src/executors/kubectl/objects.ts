/**
 * Kubernetes objects as the executor handles them: their identity (ref), the labels and annotation
 * that tie them to a deployment, and the compact form a snapshot keeps. Pure.
 */
import { createHash } from 'node:crypto';
import type { ResourceRef } from '../../api/progress';

export interface KubeMetadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Set on objects another object owns (a Deployment's ReplicaSets): they go when it goes. */
  ownerReferences?: Array<{ kind: string; name: string }>;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMetadata;
  [key: string]: unknown;
}

/** Which object: enough to get, delete or re-apply it. `namespace` is unset for cluster-scoped objects (and for namespaced ones left to the context's default). */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'tugboat';
export const DEPLOYMENT_LABEL = 'tugboat.dev/deployment';
export const SERVICE_LABEL = 'tugboat.dev/service';
/** An annotation, not a label: which deployment last applied the object (a deployment ID may outgrow a label value). */
export const DEPLOYMENT_ID_ANNOTATION = 'tugboat.dev/deployment-id';

/** Kinds whose rollout verify awaits. */
export const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

const LABEL_VALUE_MAX = 63;
const LABEL_VALUE_PATTERN = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * A label value Kubernetes accepts (63 characters of [A-Za-z0-9._-], alphanumeric at both ends).
 * A value that had to change keeps a hash of the original, so two long names never share one.
 */
export function labelValue(value: string): string {
  if (value.length <= LABEL_VALUE_MAX && LABEL_VALUE_PATTERN.test(value)) return value;
  const hash = createHash('sha256').update(value).digest('hex').slice(0, 8);
  const cleaned = value.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, LABEL_VALUE_MAX - hash.length - 1);
  return `${cleaned.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')}-${hash}`.replace(/^-/, '');
}

export interface Owner {
  deploymentId: string;
  /** The deployment's name and environment. */
  name: string;
  environment: string;
  service: string;
}

/** The labels every object of a service carries: what inventory selects by. */
export function ownerLabels(owner: Pick<Owner, 'name' | 'environment' | 'service'>): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [DEPLOYMENT_LABEL]: labelValue(`${owner.name}.${owner.environment}`),
    [SERVICE_LABEL]: labelValue(owner.service),
  };
}

/** `-l` for kubectl: the service's objects in this deployment name and environment. */
export function ownerSelector(owner: Pick<Owner, 'name' | 'environment' | 'service'>): string {
  const labels = ownerLabels(owner);
  return [DEPLOYMENT_LABEL, SERVICE_LABEL].map((key) => `${key}=${labels[key]}`).join(',');
}

export function refOf(object: KubeObject, defaultNamespace?: string): ObjectRef {
  const namespace = object.metadata.namespace ?? defaultNamespace;
  return { apiVersion: object.apiVersion, kind: object.kind, ...(namespace ? { namespace } : {}), name: object.metadata.name };
}

/** The API group: "apps" for apps/v1, "" for v1. */
export function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

/**
 * How kubectl names the type unambiguously: `Deployment.v1.apps`, or `ConfigMap` for the core group
 * (a custom resource of the same kind elsewhere would otherwise win or be asked about).
 */
export function kubectlType(ref: Pick<ObjectRef, 'apiVersion' | 'kind'>): string {
  const group = groupOf(ref.apiVersion);
  const version = ref.apiVersion.split('/').pop();
  return group ? `${ref.kind}.${version}.${group}` : ref.kind;
}

/** The same object, whatever version it was read or written as. */
export function sameObject(a: ObjectRef, b: ObjectRef): boolean {
  return groupOf(a.apiVersion) === groupOf(b.apiVersion) && a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');
}

/** How progress and inventory name an object: `shop/Deployment.apps/backend`, `Namespace/shop`. */
export function resourceRef(ref: ObjectRef): ResourceRef {
  const group = groupOf(ref.apiVersion);
  const type = group ? `${ref.kind}.${group}` : ref.kind;
  return { id: [ref.namespace, type, ref.name].filter(Boolean).join('/'), kind: ref.kind };
}

export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** Set by the API server, meaningless (or refused) when the object is applied again. */
const SERVER_SET_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];
/** Annotations a controller keeps: applying an old value would fight it. */
const SERVER_SET_ANNOTATIONS = ['deployment.kubernetes.io/revision'];

/** An object as read from the API, reduced to what re-applying it needs: no status, no server-set metadata. */
export function applicableState(object: KubeObject): KubeObject {
  const { status: _status, ...rest } = object;
  const metadata: KubeMetadata = { ...object.metadata };
  for (const key of SERVER_SET_METADATA) delete metadata[key];
  if (metadata.annotations) {
    const annotations = { ...metadata.annotations };
    for (const key of SERVER_SET_ANNOTATIONS) delete annotations[key];
    if (Object.keys(annotations).length) metadata.annotations = annotations;
    else delete metadata.annotations;
  }
  return { ...rest, metadata };
}

/** Is this a Kubernetes object (as parsed from a manifest or read back)? */
export function isKubeObject(value: unknown): value is KubeObject {
  const v = value as Partial<KubeObject> | null;
  return (
    typeof v === 'object' && v !== null && typeof v.apiVersion === 'string' && typeof v.kind === 'string' &&
    typeof v.metadata === 'object' && v.metadata !== null && typeof v.metadata.name === 'string'
  );
}

/** The items of a `kind: List` (what kubectl prints for several objects), or the object itself. */
export function itemsOf(value: unknown): KubeObject[] {
  const v = value as { kind?: string; items?: unknown[] } | null;
  if (v && typeof v === 'object' && Array.isArray(v.items) && (v.kind === 'List' || v.kind?.endsWith('List'))) return v.items.filter(isKubeObject);
  return isKubeObject(value) ? [value] : [];
}
