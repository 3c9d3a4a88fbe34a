/**
 * `npm run fuzz`: every surface's property over 10,000 generated cases (`--runs N`), seeded
 * (`--seed S`, random by default and printed), one surface with `--only <name>`. Each surface runs in
 * a worker thread watched by a watchdog: a case that gives no sign of life for HANG_MS is reported
 * as a hang with its input and the run goes on from the next case, instead of wedging the runner.
 * Then, when a Temporal dev server can be started (the CLI found as the test suite finds it), a
 * sample of accepted generated manifests is deployed for real on the simulated cloud (`--deployments N`,
 * default 20; 0 skips). Prints the table and writes FUZZ.md (`--no-write` leaves it alone).
 * Exit code 1 when any violation was found.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { MAX_CASE_WALL_MS, type SurfaceReport, type Violation } from './lib/cases';
import { renderFuzzMarkdown, renderTable } from './lib/report';
import { SURFACES } from './surfaces';

/** Far above the 2 s a case may take: only a true hang gets here. */
const HANG_MS = MAX_CASE_WALL_MS;
const ROOT = path.resolve(__dirname, '..');

interface Args {
  runs: number;
  seed: number;
  only?: string;
  deployments: number;
  write: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 10_000, seed: Math.floor(Math.random() * 2 ** 31), deployments: 20, write: true };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    const number = (flag: string) => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a whole number`);
      return n;
    };
    switch (argv[i]) {
      case '--runs':
        args.runs = number('--runs');
        break;
      case '--seed':
        args.seed = number('--seed');
        break;
      case '--only':
        args.only = value();
        break;
      case '--deployments':
        args.deployments = number('--deployments');
        break;
      case '--no-write':
        args.write = false;
        break;
      default:
        throw new Error(`unknown option ${argv[i]}; usage: npm run fuzz -- [--runs N] [--seed S] [--only ${[...SURFACES.map((s) => s.name), 'deployments'].join('|')}] [--deployments N] [--no-write]`);
    }
  }
  if (args.only && ![...SURFACES.map((s) => s.name), 'deployments'].includes(args.only)) throw new Error(`no surface ${args.only}`);
  return args;
}

/** One worker thread from case `from`; resolves with its report, or the case that hung. */
function runInWorker(surface: string, seed: number, numRuns: number, from: number): Promise<{ report?: SurfaceReport; hung?: number; soFar?: SurfaceReport; error?: string }> {
  return new Promise((resolve) => {
    // The thread loads TypeScript through tsx's require hook, as this runner was (Node 20 cannot start a worker from a .ts file).
    const bootstrap = `require('tsx/cjs'); require(${JSON.stringify(path.join(__dirname, 'worker.ts'))});`;
    const worker = new Worker(bootstrap, { eval: true, workerData: { surface, seed, numRuns, from } });
    let current = from;
    let soFar: SurfaceReport | undefined;
    let lastBeat = Date.now();
    let settled = false;
    const finish = (result: { report?: SurfaceReport; hung?: number; soFar?: SurfaceReport; error?: string }) => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      resolve(result);
    };
    const watchdog = setInterval(() => {
      if (Date.now() - lastBeat < HANG_MS) return;
      finish({ hung: current, soFar });
      void worker.terminate();
    }, 250);
    worker.on('message', (message: { type: string; caseIndex?: number; soFar?: SurfaceReport; report?: SurfaceReport; message?: string }) => {
      if (message.type === 'case') {
        current = message.caseIndex as number;
        soFar = message.soFar;
        lastBeat = Date.now();
      } else if (message.type === 'report') {
        finish({ report: message.report });
        void worker.terminate();
      } else if (message.type === 'error') finish({ error: message.message });
    });
    worker.on('error', (error) => finish({ error: error.stack ?? String(error) }));
    worker.on('exit', (code) => finish({ error: `the worker thread exited (code ${code}) before reporting` }));
  });
}

async function runSurfaceWatched(name: string, seed: number, numRuns: number, log: (line: string) => void): Promise<SurfaceReport> {
  const surface = SURFACES.find((s) => s.name === name)!;
  const total: SurfaceReport = { surface: name, cases: 0, accepted: 0, refused: 0, violations: [], slowestMs: 0, slowestCase: -1, seed };
  let from = 0;
  const add = (r: SurfaceReport) => {
    total.surface = r.surface;
    total.cases += r.cases;
    total.accepted += r.accepted;
    total.refused += r.refused;
    total.violations.push(...r.violations);
    if (r.slowestMs > total.slowestMs) Object.assign(total, { slowestMs: r.slowestMs, slowestCase: r.slowestCase });
  };
  while (from < numRuns) {
    const result = await runInWorker(name, seed, numRuns, from);
    if (result.report) {
      add(result.report);
      break;
    }
    if (result.error) throw new Error(`${name}: ${result.error}`);
    const hung = result.hung as number;
    log(`${name}: case ${hung} gave no sign of life for ${HANG_MS / 1000} s; reported, going on from case ${hung + 1}`);
    const violation: Violation = { caseIndex: hung, message: `hung: no answer within ${HANG_MS / 1000} s`, input: (await surface.describeCase(seed, hung)).slice(0, 300) };
    // The cases before the hang, as the terminated worker's last heartbeat counted them; then the hang.
    if (result.soFar) add(result.soFar);
    total.cases += 1;
    total.violations.push(violation);
    Object.assign(total, { slowestMs: Math.max(total.slowestMs, HANG_MS), slowestCase: hung });
    from = hung + 1;
  }
  return total;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`fuzzing with seed ${args.seed}, ${args.runs} cases per surface`);
  const reports: SurfaceReport[] = [];
  for (const surface of SURFACES) {
    if (args.only && args.only !== surface.name) continue;
    const started = Date.now();
    const report = await runSurfaceWatched(surface.name, args.seed, args.runs, log);
    log(`${surface.name}: ${report.cases} cases in ${((Date.now() - started) / 1000).toFixed(1)} s, ${report.violations.length} violations`);
    reports.push(report);
  }
  if (args.deployments > 0 && (!args.only || args.only === 'deployments')) {
    const { runDeploymentSample } = await import('./lib/deployment-stack');
    const report = await runDeploymentSample({ count: args.deployments, seed: args.seed, log });
    if (report) reports.push(report);
  }
  process.stdout.write(`${renderTable(reports)}\n`);
  for (const r of reports) for (const v of r.violations) process.stdout.write(`\n${r.surface} case ${v.caseIndex}: ${v.message}\n  input: ${v.input}\n`);
  if (args.write) {
    const file = path.join(ROOT, 'FUZZ.md');
    const template = fs.readFileSync(path.join(__dirname, 'FUZZ.template.md'), 'utf8');
    fs.writeFileSync(file, renderFuzzMarkdown(reports, { seed: args.seed, runs: args.runs, template }));
    log(`wrote ${path.relative(process.cwd(), file)}`);
  }
  process.exitCode = reports.some((r) => r.violations.length > 0) ? 1 : 0;
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exitCode = 2;
});
