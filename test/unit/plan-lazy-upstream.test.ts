/** The workflow's upstream computed on demand is the closure it used to materialise, read any way. */
import fc from 'fast-check';
import { validateManifestOrThrow } from '../../src/manifest/validate';
import { completePlan, decidedPart, dependencyGraph, dependentsOf, downstreamOf, lazyReachable, planOrThrow, reachable } from '../../src/plan';

/** A random DAG: service i depends on some of services 0..i-1 (names out of order on purpose). */
const dag = fc
  .integer({ min: 1, max: 40 })
  .chain((n) => fc.tuple(fc.constant(n), fc.array(fc.array(fc.nat(), { maxLength: 4 }), { minLength: n, maxLength: n })))
  .map(([n, picks]) =>
    Array.from({ length: n }, (_, i) => ({
      name: `svc-${String((i * 7919) % 1000).padStart(3, '0')}-${i}`,
      dependencies: i === 0 ? [] : [...new Set(picks[i].map((p) => (p % i)))].map((j) => `svc-${String((j * 7919) % 1000).padStart(3, '0')}-${j}`),
    })),
  );

describe('lazy upstream', () => {
  it('equals reachable(): values, key order, JSON, whichever entry is read first', () => {
    fc.assert(
      fc.property(dag, fc.nat(), (services, first) => {
        const graph = dependencyGraph(services);
        const eager = reachable(graph);
        const lazy = lazyReachable(graph);
        const names = Object.keys(graph);
        expect(lazy[names[first % names.length]]).toEqual(eager[names[first % names.length]]);
        expect(Object.keys(lazy)).toEqual(Object.keys(eager));
        expect(JSON.stringify(lazy)).toBe(JSON.stringify(eager));
        expect(lazy).toEqual(eager);
        // Read again: the kept value, not a new computation.
        expect(lazy[names[0]]).toBe(lazy[names[0]]);
      }),
    );
  });

  it('downstreamOf selects, in plan order, exactly the services whose upstream includes the failed one', () => {
    fc.assert(
      fc.property(dag, fc.nat(), (services, pick) => {
        const graph = dependencyGraph(services);
        const upstream = reachable(graph);
        const order = Object.keys(graph);
        const failed = order[pick % order.length];
        const downstream = downstreamOf(dependentsOf(graph), failed);
        downstream.delete(failed);
        expect(order.filter((s) => downstream.has(s))).toEqual(order.filter((s) => upstream[s].includes(failed)));
      }),
    );
  });

  it('completePlan (what the workflow runs) has the same upstream as planDeployment', () => {
    fc.assert(
      fc.property(dag, (services) => {
        const manifest = validateManifestOrThrow({
          deployment: { name: 'lazy', environment: 'test', services: services.map((s) => ({ ...s, type: 'docker', executor: 'simulated' })) },
        });
        const planned = planOrThrow(manifest);
        const completed = completePlan(manifest, decidedPart(planned));
        expect(completed).toBeDefined();
        expect(completed!.upstream).toEqual(planned.upstream);
        expect(completed).toEqual(planned);
      }),
      { numRuns: 50 },
    );
  });
});
