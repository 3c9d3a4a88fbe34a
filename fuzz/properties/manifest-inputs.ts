/**
 * Manifest inputs for the fuzzer, as the bytes of a file: generated valid manifests (YAML or JSON),
 * mutations of them (wrong types, extreme numbers, odd names, deep nesting, prototype keys, removed
 * keys) and the hostile inputs the issue names (cycles up to 50 long, unknown dependencies, alias
 * bombs, binary, byte order marks, duplicate keys, 5,000 services).
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { SERVICE_TYPES } from '../../src/api/service-types';

export interface ManifestCase {
  kind: string;
  bytes: Uint8Array;
  /** What the CLI would see as the file name (decides JSON or YAML). */
  sourceName: string;
  /** The input is refused, and some issue's message contains each of these. */
  mustRefuseWith?: string[];
  /** The input is accepted (e.g. a valid manifest behind a byte order mark). */
  mustAccept?: boolean;
}

type Raw = Record<string, unknown>;

const serviceName = (i: number, suffix: string) => `svc-${i}${suffix}`;

/** A service on an executor whose config is valid for it (simulated most often: sample deployments run those). */
const serviceBody = fc.oneof(
  { weight: 6, arbitrary: fc.record({ executor: fc.constant('simulated'), simulate: fc.option(fc.record({ duration: fc.constantFrom('0ms', '5ms', '20ms', 10), fail_transient: fc.constantFrom(0, 1) }), { nil: undefined }), config: fc.option(fc.dictionary(fc.constantFrom('image', 'replicas', 'port'), fc.oneof(fc.string({ maxLength: 12 }), fc.integer({ min: 0, max: 100 }))), { nil: undefined }) }, { requiredKeys: ['executor'] }) },
  { weight: 1, arbitrary: fc.record({ executor: fc.constant('shell'), config: fc.record({ run: fc.constant(['./deploy.sh', '--env', 'prod']), transient_exit_codes: fc.constant([75]) }, { requiredKeys: ['run'] }) }) },
  { weight: 1, arbitrary: fc.record({ executor: fc.constant('opentofu'), config: fc.constantFrom('./infra/network', { module: './infra/db', vars: { size: 3 } }) }) },
  { weight: 1, arbitrary: fc.record({ executor: fc.constant('http'), config: fc.constant({ request: { method: 'POST', url: 'https://api.example.com/deploys' }, outputs: { id: '$.id' } }) }) },
  { weight: 1, arbitrary: fc.record({ executor: fc.constant('kubectl'), config: fc.constantFrom('./k8s/backend', { manifests: './k8s/web', namespace: 'shop' }) }) },
  { weight: 1, arbitrary: fc.record({ executor: fc.constant('helm'), config: fc.constant({ chart: './charts/web', namespace: 'shop' }) }) },
);

const optionalFields = fc.record(
  {
    version: fc.constantFrom('1.0.0', 'v2', 'sha256:abc'),
    timeout: fc.constantFrom('30s', '5m', 1000),
    verify_timeout: fc.constantFrom('0s', '10s'),
    retry: fc.record({ max_attempts: fc.integer({ min: 1, max: 5 }), initial_interval: fc.constantFrom('1ms', '1s') }, { requiredKeys: [] }),
    on_rollback: fc.constantFrom('restore', 'retain'),
    approval: fc.record({ timeout: fc.constantFrom('10m', '1h') }),
  },
  { requiredKeys: [] },
);

/**
 * What a sample deployment runs: the simulated cloud only, no fault that fails it, no approval gate
 * (nobody would answer it), so it must end SUCCEEDED.
 */
const simulatedBody = fc.record({ executor: fc.constant('simulated'), simulate: fc.option(fc.record({ duration: fc.constantFrom('0ms', '5ms', '20ms', 10) }), { nil: undefined }) }, { requiredKeys: ['executor'] });
const { approval: _gate, ...optionalWithoutApproval } = {
  version: fc.constantFrom('1.0.0', 'v2', 'sha256:abc'),
  timeout: fc.constantFrom('30s', '5m', 1000),
  verify_timeout: fc.constantFrom('0s', '10s'),
  retry: fc.record({ max_attempts: fc.integer({ min: 1, max: 5 }), initial_interval: fc.constantFrom('1ms', '1s') }, { requiredKeys: [] }),
  on_rollback: fc.constantFrom('restore', 'retain'),
  approval: fc.constant(undefined),
};

/** A valid manifest document: 1-n services, each depending only on earlier ones (a DAG). */
export const validManifest = (maxServices = 25, opts: { runnable?: boolean } = {}): fc.Arbitrary<Raw> =>
  fc
    .record({
      name: fc.constantFrom('shop', 'web', 'a', 'platform-1'),
      environment: fc.constantFrom('prod', 'staging', 'e2e'),
      // Names that are also Object's members ("constructor") must be ordinary service names everywhere.
      suffix: fc.constantFrom('', '-x', '-api', '-constructor'),
      count: fc.integer({ min: 1, max: maxServices }),
      seed: fc.array(fc.nat(), { minLength: maxServices * 3, maxLength: maxServices * 3 }),
      bodies: fc.array(
        fc.tuple(opts.runnable ? simulatedBody : serviceBody, opts.runnable ? fc.record(optionalWithoutApproval, { requiredKeys: [] }) : optionalFields, fc.constantFrom(...SERVICE_TYPES)),
        { minLength: maxServices, maxLength: maxServices },
      ),
      strategy: fc.record({ max_parallel: fc.integer({ min: 1, max: 20 }), execution: fc.constantFrom('eager', 'waves'), on_failure: fc.constantFrom('rollback', 'halt', 'continue', 'rollback-subgraph') }, { requiredKeys: [] }),
    })
    .map(({ name, environment, suffix, count, seed, bodies, strategy }) => {
      const services = Array.from({ length: count }, (_, i) => {
        const dependencies = i === 0 ? [] : [...new Set([seed[i * 3] % i, seed[i * 3 + 1] % i].slice(0, seed[i * 3 + 2] % 3))].map((d) => serviceName(d, suffix));
        const [body, optional, type] = bodies[i];
        // The first service of a "-constructor" manifest is named exactly that.
        const own = suffix === '-constructor' && i === 0 ? 'constructor' : serviceName(i, suffix);
        return { name: own, type, dependencies, ...optional, ...body };
      });
      for (const s of services) s.dependencies = s.dependencies.map((d) => (suffix === '-constructor' && d === serviceName(0, suffix) ? 'constructor' : d));
      return { deployment: { name, environment, strategy, services } };
    });

// ---- mutations ---------------------------------------------------------------------------------

const deepValue = (depth: number): unknown => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { nested: value };
  return value;
};

/** Values that do not belong, or sit at the edges of what a field allows. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, -0.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 31, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '', ' ', '0', 'null', '1e999', '-5s', '5x', '999999999h', [], {}, [[]], { a: {} }),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('../../etc/passwd', '/etc/passwd', 'C:\\Windows\\system32', 'a/b', '..', '.', '~', '$HOME', '${{ services.x.outputs.y }}', 'ＡＢＣ', 'ǅ', 'e\u0301', '\u202Eevil', 'a\u0000b', '\r\n', '\t', 'Ω-1', 'UPPER', '-leading', 'trailing-'),
  fc.integer({ min: 1, max: 100_000 }).map((n) => 'a'.repeat(n)),
  fc.integer({ min: 1, max: 200 }).map(deepValue),
  fc.double(),
  fc.jsonValue({ maxDepth: 3 }),
);

const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__'];

/** Every path to a value inside a document (objects and lists). */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (typeof value === 'object' && value !== null) {
    out.push(prefix);
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
    for (const [key, child] of entries) paths(child, [...prefix, key], out);
  } else out.push(prefix);
  return out;
}

function setAt(doc: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy: Raw | unknown[] = Array.isArray(doc) ? [...doc] : { ...(doc as Raw) };
  const [head, ...rest] = path;
  Object.defineProperty(copy, head, { value: setAt((doc as Raw)[head], rest, value), enumerable: true, writable: true, configurable: true });
  return copy;
}

function deleteAt(doc: unknown, path: (string | number)[]): unknown {
  if (path.length === 0) return doc;
  if (path.length === 1) {
    if (Array.isArray(doc)) return doc.filter((_, i) => i !== path[0]);
    const copy = { ...(doc as Raw) };
    delete copy[path[0]];
    return copy;
  }
  const [head, ...rest] = path;
  return setAt(doc, [head], deleteAt((doc as Raw)[head], rest));
}

const mutation = fc.record({
  op: fc.constantFrom('replace', 'replace', 'replace', 'delete', 'prototype-key'),
  pick: fc.nat(),
  value: oddValue,
  protoKey: fc.constantFrom(...PROTOTYPE_KEYS),
});

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function applyMutation(doc: Raw, m: Mutation): unknown {
  const all = paths(doc);
  const path = all[m.pick % all.length];
  if (m.op === 'delete') return deleteAt(doc, path);
  if (m.op === 'prototype-key') {
    const objects = all.filter((p) => {
      let v: unknown = doc;
      for (const s of p) v = (v as Raw)[s];
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    });
    // An earlier mutation may have left no mapping (the document replaced by a list): nothing to add a key to.
    if (objects.length === 0) return doc;
    const at = objects[m.pick % objects.length];
    return setAt(doc, [...at, m.protoKey], m.value);
  }
  return setAt(doc, path, m.value);
}

// ---- serialising -------------------------------------------------------------------------------

const encoder = new TextEncoder();

function serialise(doc: unknown, format: 'yaml' | 'json' | 'json-pretty'): { bytes: Uint8Array; sourceName: string } {
  if (format === 'yaml') return { bytes: encoder.encode(stringify(doc, { aliasDuplicateObjects: false })), sourceName: 'fuzz.yaml' };
  return { bytes: encoder.encode(JSON.stringify(doc, null, format === 'json-pretty' ? 2 : undefined)), sourceName: 'fuzz.json' };
}

const format = fc.constantFrom<'yaml' | 'json' | 'json-pretty'>('yaml', 'json', 'json-pretty');

// ---- case kinds ---------------------------------------------------------------------------------

const validCase = fc.tuple(validManifest(), format).map(([doc, f]): ManifestCase => ({ kind: 'valid', ...serialise(doc, f) }));

const mutatedCase = fc
  .tuple(validManifest(8), fc.array(mutation, { minLength: 1, maxLength: 3 }), format)
  .map(([doc, ms, f]): ManifestCase => {
    let mutated: unknown = doc;
    for (const m of ms) mutated = typeof mutated === 'object' && mutated !== null ? applyMutation(mutated as Raw, m) : mutated;
    return { kind: 'mutated', ...serialise(mutated, f) };
  });

/** A ring of `length` services (s0 → s1 → … → s0) beside a few acyclic ones: the error must name the ring. */
const cycleCase = fc.tuple(fc.integer({ min: 2, max: 50 }), fc.integer({ min: 0, max: 5 }), fc.nat(), format).map(([length, extra, rotate, f]): ManifestCase => {
  const ring = Array.from({ length }, (_, i) => `ring-${i}`);
  const services = [
    ...ring.map((name, i) => ({ name, type: 'docker', executor: 'simulated', dependencies: [ring[(i + 1) % length]] })),
    ...Array.from({ length: extra }, (_, i) => ({ name: `free-${i}`, type: 'docker', executor: 'simulated', dependencies: i > 0 ? [`free-${i - 1}`] : [] })),
  ];
  const shift = rotate % services.length;
  const rotated = [...services.slice(shift), ...services.slice(0, shift)];
  return { kind: 'cycle', ...serialise({ deployment: { name: 'cyc', environment: 'prod', services: rotated } }, f), mustRefuseWith: ['cycle', ...ring] };
});

const unknownDependencyCase = fc.tuple(validManifest(6), fc.constantFrom('ghost', 'svc-99', 'SVC-0', '', 'svc-0 ', '__proto__', 'constructor'), format).map(([doc, unknownName, f]): ManifestCase => {
  let ghost: string = unknownName;
  const services = (doc.deployment as Raw).services as Raw[];
  if (services.some((s) => s.name === ghost)) ghost = `${ghost}-ghost`;
  const last = services[services.length - 1];
  const withGhost = { ...doc, deployment: { ...(doc.deployment as Raw), services: [...services.slice(0, -1), { ...last, dependencies: [...(last.dependencies as string[]), ghost] }] } };
  return { kind: 'unknown-dependency', ...serialise(withGhost, f), mustRefuseWith: [JSON.stringify(ghost)] };
});

const missingDependenciesCase = fc.tuple(validManifest(6), format).map(([doc, f]): ManifestCase => {
  const services = ((doc.deployment as Raw).services as Raw[]).map(({ dependencies: _gone, ...rest }) => rest);
  return { kind: 'no-dependencies', ...serialise({ deployment: { ...(doc.deployment as Raw), services } }, f), mustAccept: true };
});

/** Billion laughs: each level aliases the previous one `width` times. */
const aliasBombCase = fc.tuple(fc.integer({ min: 3, max: 12 }), fc.integer({ min: 2, max: 12 })).map(([levels, width]): ManifestCase => {
  let text = `l0: &l0 [${Array(width).fill('"lol"').join(', ')}]\n`;
  for (let i = 1; i < levels; i++) text += `l${i}: &l${i} [${Array(width).fill(`*l${i - 1}`).join(', ')}]\n`;
  text += `deployment:\n  name: bomb\n  environment: prod\n  services:\n    - name: s\n      type: docker\n      executor: simulated\n      config:\n        boom: *l${levels - 1}\n`;
  return { kind: 'alias-bomb', bytes: encoder.encode(text), sourceName: 'fuzz.yaml' };
});

const binaryCase = fc.tuple(fc.uint8Array({ maxLength: 2000 }), fc.constantFrom('fuzz.yaml', 'fuzz.json', 'manifest')).map(([bytes, sourceName]): ManifestCase => ({ kind: 'binary', bytes, sourceName }));

/** A valid manifest behind a byte order mark (UTF-8, UTF-16 LE or BE): read as the same manifest. */
const bomCase = fc.tuple(validManifest(5), format, fc.constantFrom('utf8', 'utf16le', 'utf16be')).map(([doc, f, encoding]): ManifestCase => {
  const { bytes, sourceName } = serialise(doc, f);
  const text = new TextDecoder().decode(bytes);
  let out: Buffer;
  if (encoding === 'utf8') out = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
  else {
    const le = Buffer.from(`\uFEFF${text}`, 'utf16le');
    out = encoding === 'utf16le' ? le : Buffer.from(le).swap16();
  }
  return { kind: `bom-${encoding}`, bytes: new Uint8Array(out), sourceName, mustAccept: true };
});

/** A key written twice: refused in YAML and in JSON alike (JSON.parse alone would keep the last). */
const duplicateKeyCase = fc.tuple(validManifest(5), fc.constantFrom('yaml', 'json') as fc.Arbitrary<'yaml' | 'json'>, fc.constantFrom('name', 'environment')).map(([doc, f, key]): ManifestCase => {
  const deployment = doc.deployment as Raw;
  if (f === 'json') {
    const body = JSON.stringify(deployment).slice(1);
    const text = `{"deployment":{"${key}":"other",${body}}`;
    return { kind: 'duplicate-key-json', bytes: encoder.encode(text), sourceName: 'fuzz.json', mustRefuseWith: ['duplicate key'] };
  }
  const yaml = stringify(doc).replace('deployment:\n', `deployment:\n  ${key}: other\n`);
  return { kind: 'duplicate-key-yaml', bytes: encoder.encode(yaml), sourceName: 'fuzz.yaml', mustRefuseWith: ['duplicate key'] };
});

/** Nesting written as text (so no serialiser limits it): deep lists or mappings in a config. */
const deepTextCase = fc.tuple(fc.integer({ min: 10, max: 100_000 }), fc.constantFrom('json-list', 'json-map', 'yaml-flow', 'yaml-block')).map(([depth, style]): ManifestCase => {
  const head = '{"deployment":{"name":"deep","environment":"prod","services":[{"name":"s","type":"docker","executor":"simulated","config":{"x":';
  const tail = '}}]}}';
  let text: string;
  let sourceName = 'fuzz.json';
  if (style === 'json-list') text = `${head}${'['.repeat(depth)}${']'.repeat(depth)}${tail}`;
  else if (style === 'json-map') text = `${head}${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}${tail}`;
  else {
    sourceName = 'fuzz.yaml';
    const yamlHead = 'deployment:\n  name: deep\n  environment: prod\n  services:\n    - name: s\n      type: docker\n      executor: simulated\n      config:\n';
    const d = Math.min(depth, 3000);
    text = style === 'yaml-flow'
      ? `${yamlHead}        x: ${'['.repeat(d)}${']'.repeat(d)}\n`
      : `${yamlHead}${Array.from({ length: Math.min(d, 400) }, (_, i) => `${' '.repeat(8 + 2 * i)}k${i}:\n`).join('')}${' '.repeat(8 + 2 * Math.min(d, 400))}end\n`;
  }
  return { kind: `deep-${style}`, bytes: encoder.encode(text), sourceName };
});

/** 5,000 services in layers: plans, or is refused by the documented manifest size limit. */
export function hugeManifest(count: number, fanIn: number): Raw {
  const services = Array.from({ length: count }, (_, i) => ({
    name: `s-${i}`,
    type: 'docker',
    executor: 'simulated',
    dependencies: i < 50 ? [] : Array.from({ length: fanIn }, (_, k) => `s-${i - 50 - k * 7}`).filter((d) => Number(d.slice(2)) >= 0),
  }));
  return { deployment: { name: 'huge', environment: 'prod', services } };
}

const hugeCase = fc.tuple(fc.constantFrom(5000, 2000), fc.integer({ min: 0, max: 3 }), format).map(([count, fanIn, f]): ManifestCase => ({
  kind: `services-${count}`,
  ...serialise(hugeManifest(count, fanIn), f),
}));

export const manifestCase: fc.Arbitrary<ManifestCase> = fc.oneof(
  { weight: 300, arbitrary: validCase },
  { weight: 400, arbitrary: mutatedCase },
  { weight: 60, arbitrary: cycleCase },
  { weight: 40, arbitrary: unknownDependencyCase },
  { weight: 20, arbitrary: missingDependenciesCase },
  { weight: 30, arbitrary: aliasBombCase },
  { weight: 40, arbitrary: binaryCase },
  { weight: 40, arbitrary: bomCase },
  { weight: 30, arbitrary: duplicateKeyCase },
  { weight: 30, arbitrary: deepTextCase },
  // Rare: each takes most of a second; 1,000 cases still see about one.
  { weight: 1, arbitrary: hugeCase },
);
