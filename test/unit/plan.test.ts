/** Planning: waves, critical path, cycles, resource conflicts, output references and the scheduler. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIssues, ManifestError, parseManifestText, validateManifestOrThrow, type Manifest } from '../../src/manifest';
import {
  findCycles,
  findReferences,
  nextServicesToStart,
  planDeployment,
  planOrThrow,
  planToJson,
  renderPlan,
  resolveReferences,
  UnresolvedReferenceError,
  type Plan,
} from '../../src/plan';

const SEED_TEXT = readFileSync(join(__dirname, '..', 'fixtures', 'seed-ecommerce.yaml'), 'utf8');

function seedManifest(): Manifest {
  const parsed = parseManifestText(SEED_TEXT, 'seed-ecommerce.yaml');
  if (!parsed.ok) throw new Error(formatIssues(parsed.issues));
  return parsed.manifest;
}

interface ServiceDraft {
  name: string;
  dependencies?: string[];
  resources?: string[];
  config?: unknown;
  ms?: number;
}

/** A validated manifest of simulated shell services; `ms` becomes simulate.duration. */
function manifestOf(services: ServiceDraft[], strategy: Record<string, unknown> = {}): Manifest {
  return validateManifestOrThrow({
    deployment: {
      name: 'test',
      environment: 'dev',
      strategy,
      services: services.map(({ ms, ...service }) => ({
        type: 'shell',
        // Planning is the subject, not the shell executor's config shape.
        executor: 'simulated',
        ...service,
        ...(ms === undefined ? {} : { simulate: { duration: `${ms}ms` } }),
      })),
    },
  });
}

function planOf(services: ServiceDraft[]): Plan {
  return planOrThrow(manifestOf(services));
}

function issuesOfPlan(services: ServiceDraft[]) {
  const result = planDeployment(manifestOf(services));
  if (result.ok) throw new Error('expected the plan to be rejected');
  return result.issues;
}

describe('the seed plan', () => {
  const plan = planOrThrow(seedManifest());

  it('groups services into sorted waves', () => {
    expect(plan.waves).toEqual([['vpc'], ['k8s-cluster', 'rds-database'], ['backend-api', 'monitoring'], ['frontend-app']]);
    expect(plan.order).toEqual(['vpc', 'k8s-cluster', 'rds-database', 'backend-api', 'monitoring', 'frontend-app']);
    expect(plan.waveOf).toEqual({
      vpc: 0,
      'k8s-cluster': 1,
      'rds-database': 1,
      'backend-api': 2,
      monitoring: 2,
      'frontend-app': 3,
    });
  });

  it('knows direct and transitive relations', () => {
    expect(plan.dependencies['backend-api']).toEqual(['k8s-cluster', 'rds-database']);
    expect(plan.dependents['k8s-cluster']).toEqual(['backend-api', 'frontend-app', 'monitoring']);
    expect(plan.dependents['frontend-app']).toEqual([]);
    expect(plan.upstream['frontend-app']).toEqual(['backend-api', 'k8s-cluster', 'rds-database', 'vpc']);
    expect(plan.upstream.vpc).toEqual([]);
  });

  it('weighs services without simulate blocks as 1 and finds the critical path', () => {
    expect(Object.values(plan.durationMs)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(plan.remainingMs).toEqual({
      vpc: 4,
      'k8s-cluster': 3,
      'rds-database': 3,
      'backend-api': 2,
      monitoring: 1,
      'frontend-app': 1,
    });
    // k8s-cluster and rds-database tie at 3: the name order decides.
    expect(plan.criticalPath).toEqual(['vpc', 'k8s-cluster', 'backend-api', 'frontend-app']);
    expect(plan.criticalPathMs).toBe(4);
    expect(plan.serialSumMs).toBe(6);
  });

  it('renders as JSON', () => {
    expect(planToJson(plan)).toEqual({
      services: 6,
      waves: [['vpc'], ['k8s-cluster', 'rds-database'], ['backend-api', 'monitoring'], ['frontend-app']],
      critical_path: ['vpc', 'k8s-cluster', 'backend-api', 'frontend-app'],
      critical_path_ms: 4,
      serial_sum_ms: 6,
    });
  });

  it('renders as text', () => {
    const lines = renderPlan(seedManifest(), plan).split('\n');
    expect(lines[0]).toBe('Deployment ecommerce-app-production (environment production)');
    expect(lines[1]).toBe('Strategy: eager, up to 10 at once; rollback automated');
    expect(lines[2]).toBe('6 services in 4 waves');
    expect(lines).toContain('Wave 3');
    expect(lines).toContain('  backend-api   kubernetes  kubectl          after k8s-cluster, rds-database');
    expect(lines).toContain('  monitoring    monitoring  no executor yet  after k8s-cluster');
    expect(lines).toContain('  vpc           terraform   opentofu         no dependencies');
    expect(lines).toContain('Critical path: vpc → k8s-cluster → backend-api → frontend-app (4 services)');
    expect(lines).toContain('Serial sum 6 services; lower bound with unlimited parallelism 4 services');
  });
});

describe('durations and the critical path', () => {
  it('follows the heaviest chain, not the longest in services', () => {
    const plan = planOf([
      { name: 'base', ms: 100 },
      { name: 'quick-a', dependencies: ['base'], ms: 10 },
      { name: 'quick-b', dependencies: ['quick-a'], ms: 10 },
      { name: 'slow', dependencies: ['base'], ms: 500 },
      { name: 'top', dependencies: ['quick-b', 'slow'], ms: 50 },
    ]);
    expect(plan.durationMs).toEqual({ base: 100, 'quick-a': 10, 'quick-b': 10, slow: 500, top: 50 });
    expect(plan.criticalPath).toEqual(['base', 'slow', 'top']);
    expect(plan.criticalPathMs).toBe(650);
    expect(plan.serialSumMs).toBe(670);
    expect(plan.remainingMs['quick-a']).toBe(70);
  });

  it('breaks ties by name, also between independent chains', () => {
    const plan = planOf([
      { name: 'z-root', ms: 5 },
      { name: 'a-root', ms: 5 },
      { name: 'm-leaf', dependencies: ['z-root'], ms: 5 },
    ]);
    expect(plan.criticalPath).toEqual(['z-root', 'm-leaf']);
    const flat = planOf([{ name: 'zed', ms: 5 }, { name: 'alpha', ms: 5 }]);
    expect(flat.criticalPath).toEqual(['alpha']);
    expect(flat.criticalPathMs).toBe(5);
  });

  it('renders real durations when services are simulated', () => {
    const manifest = manifestOf([
      { name: 'db', ms: 1500 },
      { name: 'api', dependencies: ['db'], ms: 90_000 },
    ]);
    const text = renderPlan(manifest, planOrThrow(manifest));
    expect(text).toContain('Critical path: db → api (1m 32s)');
    expect(text).toContain('  api  shell  simulated  1m 30s  after db');
  });

  it('names the failure policy, the bake window, notifications and approval gates when the manifest sets them', () => {
    const manifest = validateManifestOrThrow({
      deployment: {
        name: 'shop',
        environment: 'prod',
        strategy: { on_failure: 'halt', bake: '2m' },
        notify: [{ webhook: 'https://hooks.example.com/x' }],
        services: [{ name: 'db', type: 'terraform', approval: { required: true, timeout: '30m' }, simulate: { duration: '1s' } }],
      },
    });
    const text = renderPlan(manifest, planOrThrow(manifest));
    expect(text).toContain('Strategy: eager, up to 10 at once; rollback automated; on failure halt; bake 2m; 1 notification webhook');
    expect(text).toContain('no dependencies  (approval required, 30m)');
  });
});

describe('cycles', () => {
  const cycleMessage = (cycle: string) =>
    `cycle: ${cycle} (each depends on the next); remove one of these dependencies`;

  it.each([
    {
      name: 'a 2-cycle',
      services: [{ name: 'beta', dependencies: ['alpha'] }, { name: 'alpha', dependencies: ['beta'] }],
      cycles: ['alpha → beta → alpha'],
    },
    {
      name: 'a 3-cycle',
      services: [
        { name: 'gamma', dependencies: ['alpha'] },
        { name: 'alpha', dependencies: ['beta'] },
        { name: 'beta', dependencies: ['gamma'] },
      ],
      cycles: ['alpha → beta → gamma → alpha'],
    },
    {
      name: 'a cycle not involving the first service',
      services: [
        { name: 'root' },
        { name: 'web', dependencies: ['root', 'cache'] },
        { name: 'cache', dependencies: ['queue'] },
        { name: 'queue', dependencies: ['web'] },
      ],
      cycles: ['cache → queue → web → cache'],
    },
    {
      name: 'two independent cycles',
      services: [
        { name: 'x', dependencies: ['y'] },
        { name: 'y', dependencies: ['x'] },
        { name: 'b', dependencies: ['c'] },
        { name: 'c', dependencies: ['b'] },
      ],
      cycles: ['b → c → b', 'x → y → x'],
    },
  ])('names $name', ({ services, cycles }) => {
    expect(issuesOfPlan(services)).toEqual(cycles.map((cycle) => ({ path: 'deployment.services', message: cycleMessage(cycle) })));
  });

  it('picks the shortest cycle through the first name, whatever the declaration order', () => {
    const graph = { a: ['b'], b: ['c', 'a'], c: ['a'] };
    expect(findCycles(graph)).toEqual([['a', 'b', 'a']]);
    expect(findCycles({ c: ['a'], b: ['a', 'c'], a: ['b'] })).toEqual([['a', 'b', 'a']]);
    expect(findCycles({ a: ['b'], b: [] })).toEqual([]);
  });

  it('reports a self dependency even when validation was skipped', () => {
    const manifest = seedManifest();
    manifest.deployment.services[0].dependencies = ['vpc'];
    const result = planDeployment(manifest);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      { path: 'deployment.services[0].dependencies[0]', message: '"vpc" cannot depend on itself; remove this entry' },
      { path: 'deployment.services', message: cycleMessage('vpc → vpc') },
    ]);
  });

  it('planOrThrow throws a ManifestError', () => {
    const manifest = manifestOf([{ name: 'a', dependencies: ['b'] }, { name: 'b', dependencies: ['a'] }]);
    expect(() => planOrThrow(manifest)).toThrow(ManifestError);
    expect(() => planOrThrow(manifest)).toThrow(`deployment.services: ${cycleMessage('a → b → a')}`);
  });
});

describe('resource conflicts', () => {
  it('rejects two unordered services modifying the same resource', () => {
    const manifest = seedManifest();
    manifest.deployment.services[3].resources = ['dns:api.example.com'];
    manifest.deployment.services[5].resources = ['dns:api.example.com'];
    const result = planDeployment(manifest);
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          path: 'deployment.services[5].resources[0]',
          message:
            '"dns:api.example.com" is also modified by "backend-api" and neither depends on the other; add one to the other\'s dependencies so they cannot run at once',
        },
      ],
    });
  });

  it('accepts services ordered directly or transitively', () => {
    const plan = planOf([
      { name: 'a', resources: ['lb'] },
      { name: 'b', dependencies: ['a'], resources: ['lb', 'dns'] },
      { name: 'c', dependencies: ['b'], resources: ['lb', 'dns'] },
    ]);
    expect(plan.order).toEqual(['a', 'b', 'c']);
  });

  it('reports each unordered pair among three', () => {
    const issues = issuesOfPlan([
      { name: 'a', resources: ['lb'] },
      { name: 'b', resources: ['lb'] },
      { name: 'c', dependencies: ['a'], resources: ['x', 'lb'] },
    ]);
    expect(issues.map((issue) => [issue.path, issue.message.slice(0, 30)])).toEqual([
      ['deployment.services[1].resources[0]', '"lb" is also modified by "a" a'],
      ['deployment.services[2].resources[1]', '"lb" is also modified by "b" a'],
    ]);
  });
});

describe('output references', () => {
  it('finds references with their paths, whitespace optional', () => {
    const config = {
      url: '${{ services.db.outputs.endpoint }}',
      nested: { list: ['x', 'jdbc://${{services.db.outputs.host}}:${{ services.cache.outputs.port }}/app'] },
      count: 3,
    };
    expect(findReferences(config)).toEqual([
      { service: 'db', output: 'endpoint', path: 'config.url' },
      { service: 'db', output: 'host', path: 'config.nested.list[1]' },
      { service: 'cache', output: 'port', path: 'config.nested.list[1]' },
    ]);
    expect(findReferences('${{ services.vpc.outputs.vpc_id }}')).toEqual([{ service: 'vpc', output: 'vpc_id', path: 'config' }]);
    expect(findReferences('./terraform/vpc')).toEqual([]);
  });

  it('accepts a reference to a transitive dependency', () => {
    const plan = planOf([
      { name: 'rds-database' },
      { name: 'backend-api', dependencies: ['rds-database'] },
      { name: 'frontend-app', dependencies: ['backend-api'], config: { db: '${{ services.rds-database.outputs.endpoint }}' } },
    ]);
    expect(plan.upstream['frontend-app']).toEqual(['backend-api', 'rds-database']);
  });

  it.each([
    {
      name: 'a service that is not a dependency',
      config: { api_url: '${{ services.rds-database.outputs.endpoint }}' },
      path: 'deployment.services[2].config.api_url',
      message:
        "references services.rds-database.outputs.endpoint, but rds-database is not among frontend-app's dependencies; add rds-database to frontend-app.dependencies",
    },
    {
      name: 'an unknown service',
      config: { api_url: '${{ services.rds.outputs.endpoint }}' },
      path: 'deployment.services[2].config.api_url',
      message: 'references services.rds.outputs.endpoint, but there is no service "rds"; did you mean "rds-database"?',
    },
    {
      name: 'its own output',
      config: 'x-${{ services.frontend-app.outputs.url }}',
      path: 'deployment.services[2].config',
      message:
        'references services.frontend-app.outputs.url, its own output; a service cannot read what it has not produced yet',
    },
    {
      name: 'a malformed expression',
      config: { hosts: ['${{ service.backend-api.outputs.url }}'] },
      path: 'deployment.services[2].config.hosts[0]',
      message: '"${{ service.backend-api.outputs.url }}" is not a reference; write ${{ services.<name>.outputs.<key> }}',
    },
  ])('rejects a reference to $name', ({ config, path, message }) => {
    const issues = issuesOfPlan([
      { name: 'rds-database' },
      { name: 'backend-api' },
      { name: 'frontend-app', dependencies: ['backend-api'], config },
    ]);
    expect(issues).toEqual([{ path, message }]);
  });

  const outputs = { db: { endpoint: 'db.internal:5432', host: 'db.internal' }, cache: { port: '6379' } };

  it('resolves whole-string, embedded and nested references', () => {
    const config = {
      url: '${{ services.db.outputs.endpoint }}',
      dsn: 'postgres://${{services.db.outputs.host}}/app?cache=${{ services.cache.outputs.port }}',
      nested: { list: ['${{ services.cache.outputs.port }}', 'plain'], replicas: 2, enabled: true, nothing: null },
    };
    const before = structuredClone(config);
    expect(resolveReferences(config, outputs)).toEqual({
      url: 'db.internal:5432',
      dsn: 'postgres://db.internal/app?cache=6379',
      nested: { list: ['6379', 'plain'], replicas: 2, enabled: true, nothing: null },
    });
    expect(config).toEqual(before);
    expect(resolveReferences('${{ services.db.outputs.host }}', outputs)).toBe('db.internal');
    expect(resolveReferences('./k8s/backend', outputs)).toBe('./k8s/backend');
  });

  it.each([
    { name: 'a missing output', config: { a: 'x${{ services.db.outputs.password }}' }, service: 'db', output: 'password' },
    { name: 'a missing service', config: ['${{ services.queue.outputs.url }}'], service: 'queue', output: 'url' },
    { name: 'an inherited property name', config: '${{ services.db.outputs.constructor }}', service: 'db', output: 'constructor' },
  ])('throws UnresolvedReferenceError for $name', ({ config, service, output }) => {
    let thrown: unknown;
    try {
      resolveReferences(config as never, outputs);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UnresolvedReferenceError);
    expect(thrown).toMatchObject({ service, output });
    expect((thrown as Error).message).toContain(`services.${service}.outputs.${output}`);
  });
});

describe('nextServicesToStart', () => {
  // a → b → c (a long chain) and a → d; e stands alone. Waves: [a, e], [b, d], [c].
  const plan = planOf([
    { name: 'a', ms: 10 },
    { name: 'b', dependencies: ['a'], ms: 10 },
    { name: 'c', dependencies: ['b'], ms: 10 },
    { name: 'd', dependencies: ['a'], ms: 10 },
    { name: 'e', ms: 100 },
  ]);
  const state = (succeeded: string[], started: string[] = succeeded, running = started.length - succeeded.length) => ({
    succeeded: new Set(succeeded),
    started: new Set(started),
    running,
  });
  const eager = { max_parallel: 10, execution: 'eager' as const };
  const waves = { max_parallel: 10, execution: 'waves' as const };

  it('has the expected waves', () => {
    expect(plan.waves).toEqual([['a', 'e'], ['b', 'd'], ['c']]);
  });

  it('starts the roots first, longest remaining path first', () => {
    expect(plan.remainingMs).toMatchObject({ a: 30, e: 100 });
    expect(nextServicesToStart(plan, state([]), eager)).toEqual(['e', 'a']);
  });

  it('orders equal remaining paths by name', () => {
    const flat = planOf([{ name: 'z' }, { name: 'm' }, { name: 'b' }]);
    expect(nextServicesToStart(flat, state([]), eager)).toEqual(['b', 'm', 'z']);
  });

  it('eager: starts a service as soon as its own dependencies succeeded', () => {
    // a done, e still running: b and d may start; b first (it has more work behind it).
    expect(nextServicesToStart(plan, state(['a'], ['a', 'e']), eager)).toEqual(['b', 'd']);
    expect(nextServicesToStart(plan, state(['a', 'b'], ['a', 'b', 'd', 'e']), eager)).toEqual(['c']);
  });

  it('waves: waits for the whole previous wave', () => {
    expect(nextServicesToStart(plan, state(['a'], ['a', 'e']), waves)).toEqual([]);
    expect(nextServicesToStart(plan, state(['a', 'e']), waves)).toEqual(['b', 'd']);
    // b done but d still running: c must wait for wave 2 to finish.
    expect(nextServicesToStart(plan, state(['a', 'e', 'b'], ['a', 'e', 'b', 'd']), waves)).toEqual([]);
    expect(nextServicesToStart(plan, state(['a', 'e', 'b'], ['a', 'e', 'b', 'd']), eager)).toEqual(['c']);
  });

  it('respects max_parallel, counting what is running', () => {
    expect(nextServicesToStart(plan, state([]), { max_parallel: 1, execution: 'eager' })).toEqual(['e']);
    expect(nextServicesToStart(plan, state(['a'], ['a', 'e']), { max_parallel: 2, execution: 'eager' })).toEqual(['b']);
    expect(nextServicesToStart(plan, state(['a'], ['a', 'e']), { max_parallel: 1, execution: 'eager' })).toEqual([]);
    expect(nextServicesToStart(plan, state([], [], 5), { max_parallel: 3, execution: 'eager' })).toEqual([]);
  });

  it('never starts a service twice or after a failed dependency', () => {
    // a failed (started, never succeeded): nothing behind it may start.
    expect(nextServicesToStart(plan, state(['e'], ['a', 'e'], 0), eager)).toEqual([]);
    const all = ['a', 'b', 'c', 'd', 'e'];
    expect(nextServicesToStart(plan, state(all), eager)).toEqual([]);
    expect(nextServicesToStart(plan, state(all), waves)).toEqual([]);
  });
});
