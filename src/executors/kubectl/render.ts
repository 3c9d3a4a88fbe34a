/**
 * From the manifests' text to the objects Tugboat applies. Pure: reading files and running
 * kustomize happen before (manifests.ts), resolving secrets is the caller's.
 *
 * What it adds to what the user wrote, so that no YAML needs hand templating:
 * - `images`: a container image named in the manifests (without tag or digest) is deployed from
 *   the given repository, tagged with the service's `version`;
 * - `config_maps` and `secrets`: generated objects (a Secret's values only when given: snapshots
 *   and inventory need its identity alone);
 * - the namespace, when the caller says it does not exist yet;
 * - on every object's own metadata, the labels inventory selects by and the deployment ID.
 *   Pod templates are left alone: changing their labels would roll every pod on every deployment.
 */
import { parseAllDocuments } from 'yaml';
import { PermanentDeployError } from '../errors';
import { DEPLOYMENT_ID_ANNOTATION, isKubeObject, itemsOf, ownerLabels, type KubeObject, type Owner } from './objects';
import type { KubectlConfig } from './schema';

export interface ManifestText {
  /** Where it came from, for messages (a file, or `kustomize <dir>`). */
  source: string;
  text: string;
}

export interface RenderOptions {
  config: Pick<KubectlConfig, 'namespace' | 'images' | 'config_maps' | 'secrets'>;
  /** The service's version: the tag of every image in `images`. */
  version: string | null;
  owner: Owner;
  /** Add a Namespace object for `config.namespace` (it does not exist yet). */
  createNamespace: boolean;
  /** Each generated Secret's values, by name and key; absent: Secrets without data (their identity only). */
  secretValues?: Record<string, Record<string, string>>;
}

/** Kinds whose pod spec is at spec.template.spec. */
const TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job']);

/** Every object the manifests hold, in order (`kind: List` flattened, empty documents skipped). */
export function parseManifests(texts: ManifestText[]): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const { source, text } of texts) {
    parseAllDocuments(text).forEach((doc, i) => {
      const where = `${source} (document ${i + 1})`;
      // No value in the message: a manifest may hold a Secret's data.
      if (doc.errors.length) throw new PermanentDeployError(`${where} is not valid YAML: ${doc.errors[0].code} at ${doc.errors[0].linePos?.[0]?.line ?? '?'}`);
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) return;
      const items = (value as { kind?: unknown }).kind === 'List' ? itemsOf(value) : [value];
      for (const item of items) {
        if (!isKubeObject(item)) {
          throw new PermanentDeployError(`${where} is not a Kubernetes object: it needs apiVersion, kind and metadata.name (generateName cannot be applied)`);
        }
        objects.push(item);
      }
    });
  }
  return objects;
}

export function render(objects: KubeObject[], opts: RenderOptions): KubeObject[] {
  const { config, owner } = opts;
  const copies = objects.map((o) => structuredClone(o));
  setImages(copies, config.images, opts.version);
  const generated: KubeObject[] = [
    ...Object.entries(config.config_maps).map(([name, data]): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data })),
    ...Object.keys(config.secrets).map(
      (name): KubeObject => ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name },
        type: 'Opaque',
        ...(opts.secretValues ? { stringData: opts.secretValues[name] ?? {} } : {}),
      }),
    ),
  ];
  for (const g of generated) {
    const clash = copies.find((o) => o.kind === g.kind && o.apiVersion === 'v1' && o.metadata.name === g.metadata.name && !otherNamespace(o, config.namespace));
    if (clash) throw new PermanentDeployError(`config.${g.kind === 'Secret' ? 'secrets' : 'config_maps'}.${g.metadata.name}: the manifests already hold a ${g.kind} of that name`);
  }
  const namespace: KubeObject[] =
    opts.createNamespace && config.namespace ? [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: config.namespace } }] : [];
  // The namespace first: kubectl applies in order, and everything else may live in it.
  const all = [...namespace, ...copies, ...generated];
  const labels = ownerLabels(owner);
  for (const o of all) {
    o.metadata.labels = { ...o.metadata.labels, ...labels };
    o.metadata.annotations = { ...o.metadata.annotations, [DEPLOYMENT_ID_ANNOTATION]: owner.deploymentId };
  }
  return all;
}

/** The name an image is known by in the manifests: without registry tag or digest (`backend` in `backend:1.0@sha256:…`). */
export function imageName(image: string): string {
  const withoutDigest = image.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  return colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
}

function setImages(objects: KubeObject[], images: Record<string, string>, version: string | null): void {
  const names = Object.keys(images);
  if (names.length === 0) return;
  if (!version) throw new PermanentDeployError('config.images needs the service\'s `version`: it is the tag every listed image is deployed with');
  const used = new Set<string>();
  for (const spec of objects.flatMap(podSpecsOf)) {
    for (const container of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      if (typeof container?.image !== 'string') continue;
      const name = imageName(container.image);
      if (!(name in images)) continue;
      container.image = `${images[name]}:${version}`;
      used.add(name);
    }
  }
  // A typo would otherwise deploy the old image and call it the new version.
  const unused = names.filter((n) => !used.has(n));
  if (unused.length) throw new PermanentDeployError(`config.images: no container in the manifests uses ${unused.map((n) => `"${n}"`).join(', ')}`);
}

interface PodSpec {
  containers?: Array<{ image?: unknown }>;
  initContainers?: Array<{ image?: unknown }>;
}

function podSpecsOf(object: KubeObject): PodSpec[] {
  let path: string[] = [];
  if (object.kind === 'Pod') path = ['spec'];
  else if (TEMPLATE_KINDS.has(object.kind)) path = ['spec', 'template', 'spec'];
  else if (object.kind === 'CronJob') path = ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
  else return [];
  const pod = path.reduce<unknown>((at, key) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), object);
  return pod && typeof pod === 'object' ? [pod as PodSpec] : [];
}

function otherNamespace(object: KubeObject, namespace: string | undefined): boolean {
  return object.metadata.namespace !== undefined && object.metadata.namespace !== namespace;
}

/**
 * The file kubectl applies: one JSON document, a v1 List of the objects. JSON, not YAML: no
 * re-quoting surprises (kubectl reads YAML 1.1, where `yes` is a boolean). One document, not a
 * stream: kubectl before 1.34 reads a file that starts with `{` as JSON only, and fails at a `---`.
 */
export function toManifestFile(objects: KubeObject[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) + '\n';
}
