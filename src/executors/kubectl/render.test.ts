/** Rendering is pure: manifests text in, the objects Tugboat applies out. */
import { PermanentDeployError } from '../errors';
import { applicableState, labelValue, ownerSelector, resourceRef, type KubeObject } from './objects';
import { imageName, parseManifests, render, toManifestFile, type RenderOptions } from './render';

const DEPLOYMENT = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: backend, labels: { app: backend } }
spec:
  selector: { matchLabels: { app: backend } }
  template:
    metadata: { labels: { app: backend } }
    spec:
      initContainers: [{ name: migrate, image: "backend:old" }]
      containers:
        - { name: api, image: "backend:latest" }
        - { name: proxy, image: "envoyproxy/envoy:v1.30@sha256:abc" }
---
# an empty document is skipped
---
apiVersion: batch/v1
kind: CronJob
metadata: { name: nightly }
spec:
  schedule: "@daily"
  jobTemplate: { spec: { template: { spec: { restartPolicy: Never, containers: [{ name: job, image: backend }] } } } }
`;
const SERVICE = `{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "backend"}, "spec": {"ports": [{"port": 80}]}}`;

const owner = { deploymentId: 'dep-20260101t000000000z-abc123', name: 'shop', environment: 'dev', service: 'backend-api' };
const options = (over: Partial<RenderOptions['config']> = {}, rest: Partial<RenderOptions> = {}): RenderOptions => ({
  config: { namespace: 'shop', images: {}, config_maps: {}, secrets: {}, ...over },
  version: 'v2.3.1',
  owner,
  createNamespace: false,
  ...rest,
});
const parsed = () => parseManifests([{ source: 'a.yaml', text: DEPLOYMENT }, { source: 'b.json', text: SERVICE }]);
const containers = (o: KubeObject, path: string[]) =>
  path.reduce<any>((at, key) => at[key], o) as Array<{ image: string }>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('parseManifests', () => {
  it('reads YAML streams and JSON in order, skipping empty documents', () => {
    expect(parsed().map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Deployment/backend', 'CronJob/nightly', 'Service/backend']);
  });

  it('flattens a List', () => {
    const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [JSON.parse(SERVICE)] });
    expect(parseManifests([{ source: 'l.json', text: list }])).toHaveLength(1);
  });

  it('refuses what is not an object, naming the document but not its content', () => {
    expect(() => parseManifests([{ source: 'x.yaml', text: 'apiVersion: v1\nkind: Secret\nmetadata: { generateName: s- }\ndata: { p: c2VjcmV0 }' }])).toThrow(
      /x\.yaml \(document 1\) is not a Kubernetes object/,
    );
    expect(() => parseManifests([{ source: 'y.yaml', text: 'a: [b' }])).toThrow(PermanentDeployError);
  });
});

describe('render', () => {
  it('tags the listed images with the version, in containers, init containers and job templates', () => {
    const [deployment, cron, service] = render(parsed(), options({ images: { backend: 'registry.example.com/backend' } }));
    const pod = ['spec', 'template', 'spec'];
    expect(containers(deployment, [...pod, 'containers']).map((c) => c.image)).toEqual([
      'registry.example.com/backend:v2.3.1',
      'envoyproxy/envoy:v1.30@sha256:abc',
    ]);
    expect(containers(deployment, [...pod, 'initContainers'])[0].image).toBe('registry.example.com/backend:v2.3.1');
    expect(containers(cron, ['spec', 'jobTemplate', ...pod, 'containers'])[0].image).toBe('registry.example.com/backend:v2.3.1');
    expect(service.spec).toEqual({ ports: [{ port: 80 }] });
  });

  it('never changes its input', () => {
    const input = parsed();
    const before = JSON.stringify(input);
    render(input, options({ images: { backend: 'r/backend' } }));
    expect(JSON.stringify(input)).toBe(before);
  });

  it('needs a version for images, and refuses an image no container uses', () => {
    expect(() => render(parsed(), options({ images: { backend: 'r/backend' } }, { version: null }))).toThrow(/needs the service's `version`/);
    expect(() => render(parsed(), options({ images: { bakend: 'r/backend' } }))).toThrow(/no container in the manifests uses "bakend"/);
  });

  it('labels every object (not pod templates) and annotates it with the deployment ID', () => {
    const objects = render(parsed(), options());
    for (const o of objects) {
      expect(o.metadata.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'tugboat',
        'tugboat.dev/deployment': 'shop.dev',
        'tugboat.dev/service': 'backend-api',
      });
      expect(o.metadata.annotations).toEqual({ 'tugboat.dev/deployment-id': owner.deploymentId });
    }
    expect(objects[0].metadata.labels?.app).toBe('backend');
    expect((objects[0].spec as { template: { metadata: unknown } }).template.metadata).toEqual({ labels: { app: 'backend' } });
  });

  it('generates ConfigMaps, Secrets (values only when given) and the namespace first', () => {
    const config = { config_maps: { 'backend-config': { DB_HOST: 'db.internal' } }, secrets: { 'backend-secret': { PASSWORD: { secret: 'env:X' } } } };
    const withoutValues = render(parsed(), options(config, { createNamespace: true }));
    expect(withoutValues.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/shop',
      'Deployment/backend',
      'CronJob/nightly',
      'Service/backend',
      'ConfigMap/backend-config',
      'Secret/backend-secret',
    ]);
    expect(withoutValues[4].data).toEqual({ DB_HOST: 'db.internal' });
    expect(withoutValues[5]).not.toHaveProperty('stringData');
    expect(withoutValues[5]).not.toHaveProperty('data');
    const withValues = render(parsed(), options(config, { secretValues: { 'backend-secret': { PASSWORD: 's3cret' } } }));
    expect(withValues.find((o) => o.kind === 'Secret')).toMatchObject({ type: 'Opaque', stringData: { PASSWORD: 's3cret' } });
  });

  it('refuses a generated object that the manifests already hold', () => {
    expect(() => render(parsed(), options({ config_maps: {}, secrets: {} }))).not.toThrow();
    const cm = parseManifests([{ source: 'c.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cfg }' }]);
    expect(() => render(cm, options({ config_maps: { cfg: {} } }))).toThrow(/config\.config_maps\.cfg/);
  });

  it('writes one JSON document, a List of the objects (older kubectl reads a file starting with `{` as one JSON value)', () => {
    const text = toManifestFile(render(parsed(), options()));
    const list = JSON.parse(text) as { kind: string; items: Array<{ kind: string }> };
    expect(list.kind).toBe('List');
    expect(list.items.map((o) => o.kind)).toEqual(['Deployment', 'CronJob', 'Service']);
  });
});

describe('object helpers', () => {
  it('knows an image by its name without tag or digest', () => {
    expect(imageName('backend')).toBe('backend');
    expect(imageName('backend:1.0')).toBe('backend');
    expect(imageName('registry:5000/team/backend:1.0@sha256:abc')).toBe('registry:5000/team/backend');
    expect(imageName('registry:5000/team/backend')).toBe('registry:5000/team/backend');
  });

  it('makes label values Kubernetes accepts, keeping them apart by a hash', () => {
    expect(labelValue('shop.dev')).toBe('shop.dev');
    const long = labelValue(`${'a'.repeat(60)}.production`);
    expect(long).toHaveLength(63);
    expect(long).toMatch(/^a+-[0-9a-f]{8}$/);
    expect(labelValue(`${'a'.repeat(60)}.staging`)).not.toBe(long);
    expect(labelValue('-x/y-')).toMatch(/^x-y-[0-9a-f]{8}$/);
    expect(ownerSelector(owner)).toBe('tugboat.dev/deployment=shop.dev,tugboat.dev/service=backend-api');
  });

  it('names resources by namespace, kind with group, and name', () => {
    expect(resourceRef({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'backend' })).toEqual({ id: 'shop/Deployment.apps/backend', kind: 'Deployment' });
    expect(resourceRef({ apiVersion: 'v1', kind: 'Namespace', name: 'shop' })).toEqual({ id: 'Namespace/shop', kind: 'Namespace' });
  });

  it('keeps of a live object what re-applying it needs', () => {
    const live = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'backend',
        namespace: 'shop',
        uid: 'u',
        resourceVersion: '7',
        generation: 2,
        creationTimestamp: 't',
        managedFields: [{}],
        labels: { app: 'backend' },
        annotations: { 'deployment.kubernetes.io/revision': '2' },
      },
      spec: { replicas: 1 },
      status: { readyReplicas: 1 },
    };
    expect(applicableState(live)).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'backend', namespace: 'shop', labels: { app: 'backend' } }, spec: { replicas: 1 } });
  });
});
