/**
 * The bench runner end to end, shrunk (`--smoke --only 3,4`): it starts its own dev server,
 * simulated cloud and worker process, deploys a few no-op services and writes its results file.
 * Checks that the runner works and the file is well-formed (every expected figure, finite numbers,
 * units, targets), never the figures' values: timings are not asserted in `npm test`.
 * Needs dist/ (the worker and CLI run the built code): `npm test` builds it first.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runProcess } from '../../src/system/process';

const ROOT = path.resolve(__dirname, '..', '..');
const EXPECTED = [
  '3.overhead_p50_ms',
  '3.overhead_p95_ms',
  '3.overhead_mean_ms',
  '4.chain_events_per_service',
  '4.chain_bytes_per_service',
  '4.dag_events_per_service',
  '4.dag_bytes_per_service',
  '4.scale_events_per_service',
  '4.scale_bytes_per_service',
];

interface FigureJson {
  scenario: string;
  key: string;
  label: string;
  value: unknown;
  unit: unknown;
  target?: { op: unknown; value: unknown };
  met: unknown;
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-bench-smoke-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('npm run bench -- --smoke --only 3,4 writes well-formed figures', async () => {
  expect(fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))).toBe(true); // npm run build first
  const out = path.join(tmp, 'results.json');
  // Its own process group: on a timeout the runner and everything it started are stopped together.
  const run = await runProcess(
    [process.execPath, require.resolve('tsx/cli'), path.join('bench', 'run.ts'), '--smoke', '--only', '3,4', '--out', out, '--no-build'],
    { cwd: ROOT, env: process.env, signal: AbortSignal.timeout(100_000), stderrTailLines: 60 },
  );
  const why = `exit ${run.code ?? run.signal}\n${run.stdout}\n${run.stderrTail.join('\n')}`;
  expect({ code: run.code, why }).toEqual({ code: 0, why });

  const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
  expect(doc).toMatchObject({ format: 1, smoke: true, only: ['3', '4'] });
  expect(doc.machine.cpus).toBeGreaterThan(0);
  expect(typeof doc.machine.node).toBe('string');
  expect(doc.machine.memoryBytes).toBeGreaterThan(0);
  expect(doc.git.commit).toMatch(/^[0-9a-f]{40}$|^unknown$/);
  expect(Number.isInteger(doc.seeds.skewedDag.graph)).toBe(true);
  expect(doc.scenarios.map((s: { id: string; error?: string }) => [s.id, s.error ?? null])).toEqual([
    ['3', null],
    ['4', null],
  ]);

  const figures = doc.figures as FigureJson[];
  expect(figures.map((f) => f.key).sort()).toEqual([...EXPECTED].sort());
  for (const f of figures) {
    const described = `${f.key}: ${JSON.stringify(f)}`;
    expect([described, typeof f.value === 'number' && Number.isFinite(f.value)]).toEqual([described, true]);
    expect([described, typeof f.unit === 'string' && f.unit.length > 0]).toEqual([described, true]);
    expect([described, typeof f.label === 'string' && f.label.length > 0]).toEqual([described, true]);
    if (f.target) {
      expect(['<=', '>=', '<']).toContain(f.target.op);
      expect(Number.isFinite(f.target.value)).toBe(true);
      expect(typeof f.met).toBe('boolean');
    } else {
      expect(f.met).toBeNull();
    }
  }
  // The table went to stdout, one row per figure.
  for (const key of EXPECTED) expect(run.stdout).toContain(figures.find((f) => f.key === key)!.label);
});
