/**
 * The benchmark runner (`npm run bench`, issue 12): starts its own Temporal dev server, simulated
 * cloud and worker process, runs the scenarios, prints a table of figures against their targets
 * and writes every figure with the machine's facts to bench/results/<date>.json.
 *
 *   npm run bench                          every scenario at full size (about 15 minutes on 2 cores)
 *   npm run bench -- --only 1,3            some of them
 *   npm run bench -- --smoke               every size shrunk to seconds: checks the runner, not Tugboat
 *   npm run bench -- --out results.json    somewhere else
 *   npm run bench -- --no-build            use dist/ as it is (the worker and CLI run the built code)
 *
 * Exit code 0 when every scenario ran (figures may still miss their targets: the table says so),
 * 1 when one failed, 2 for bad arguments.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CleanupStack } from '../src/system/cleanup';
import { deploy } from './lib/deploy';
import { fetchHistory, measureHistory } from './lib/history';
import { flatFigures, gitFacts, localDate, machineFacts, renderTable, toJson, type ScenarioRecord } from './lib/report';
import { ROOT_DIR, startBenchStack } from './lib/stack';
import type { ScenarioContext, ScenarioResult } from './lib/types';
import { allScenarios } from './scenarios';
import { seeds } from './scenarios/shapes';
import { parseOrExplain, UsageError } from '../scripts/lib/usage';

const TASK_QUEUE = 'bench';

export interface RunOptions {
  only?: string[];
  smoke: boolean;
  out?: string;
  build: boolean;
}

export function parseArgs(argv: string[]): RunOptions {
  const opts: RunOptions = { smoke: false, build: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--smoke') opts.smoke = true;
    else if (arg === '--no-build') opts.build = false;
    else if (arg === '--only') opts.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (arg.startsWith('--only=')) opts.only = arg.slice(7).split(',').map((s) => s.trim()).filter(Boolean);
    else if (arg === '--out') opts.out = value();
    else if (arg.startsWith('--out=')) opts.out = arg.slice(6);
    else if (arg === '--help' || arg === '-h') throw new UsageError('');
    else throw new UsageError(`unknown argument ${arg}`);
  }
  const known = new Set(allScenarios().map((s) => s.id));
  const unknown = opts.only?.filter((id) => !known.has(id)) ?? [];
  if (unknown.length > 0) throw new UsageError(`no scenario ${unknown.join(', ')} (there are ${[...known].sort().join(', ')})`);
  return opts;
}


const USAGE = 'usage: npm run bench [-- --only 1,3] [--smoke] [--out file.json] [--no-build]';

/** Newest modification time of the files under dir (recursively). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** The worker and the CLI run dist/: rebuild it when any source is newer (or it is missing). */
function ensureBuilt(log: (msg: string) => void): void {
  const entry = path.join(ROOT_DIR, 'dist', 'cli', 'main.js');
  const builtAt = fs.existsSync(entry) ? fs.statSync(entry).mtimeMs : 0;
  const sourcesAt = Math.max(newestMtime(path.join(ROOT_DIR, 'src')), fs.statSync(path.join(ROOT_DIR, 'tsconfig.build.json')).mtimeMs);
  if (builtAt >= sourcesAt) return;
  log(builtAt === 0 ? 'dist/ is missing: npm run build' : 'dist/ is older than src/: npm run build');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', 'build'], { cwd: ROOT_DIR, stdio: ['ignore', process.stderr, process.stderr] });
  if (result.status !== 0) throw new Error(`npm run build failed (${result.status ?? result.signal})`);
}

function defaultOut(opts: RunOptions): string {
  const suffix = `${opts.smoke ? '-smoke' : ''}${opts.only ? `-only-${opts.only.join('_')}` : ''}`;
  return path.join(ROOT_DIR, 'bench', 'results', `${localDate()}${suffix}.json`);
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const parsed = parseOrExplain(() => parseArgs(argv), USAGE);
  if (!parsed.ok) return parsed.exitCode;
  const { opts } = parsed;
  const began = Date.now();
  const log = (msg: string) => process.stderr.write(`[bench +${((Date.now() - began) / 1000).toFixed(1)}s] ${msg}\n`);
  if (opts.build) ensureBuilt(log);

  const selected = allScenarios().filter((s) => !opts.only || opts.only.includes(s.id));
  const records: ScenarioRecord[] = [];
  const cleanup = new CleanupStack();
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= cleanup.run().then((errors) => {
      for (const err of errors) log(`cleanup: ${(err as Error)?.message ?? err}`);
    }));
  // Ctrl-C: stop what was started (by its own handle), then leave.
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the worker, the simulated cloud and the dev server`);
    void stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let stack;
  let workerHwm = NaN;
  try {
    stack = await startBenchStack({ taskQueue: TASK_QUEUE, cleanup, log });
    const s = stack;
    const earlier = new Map<string, ScenarioResult>();
    for (const scenario of selected) {
      const ctx: ScenarioContext = {
        client: s.client,
        temporalAddress: s.address,
        taskQueue: s.taskQueue,
        simCloudUrl: s.simCloudUrl,
        worker: { pid: s.worker.pid, rss: s.worker.rss },
        deploy: (raw, dopts) => deploy(s, raw, { timeoutMs: opts.smoke ? 3 * 60_000 : undefined, ...dopts }, (msg) => log(`${scenario.id}: ${msg}`)),
        history: async (target) => {
          // A handle from getHandle(id, runId) keeps its run ID; a bare handle means the latest run.
          const runId = (target as { runId?: string }).runId;
          return measureHistory(await fetchHistory(s.client, target.workflowId, runId));
        },
        smoke: opts.smoke,
        log: (msg) => log(`${scenario.id}: ${msg}`),
        earlier,
        tmpDir: s.tmpDir,
      };
      log(`scenario ${scenario.id}: ${scenario.title}`);
      const started = Date.now();
      try {
        const result = await scenario.run(ctx);
        earlier.set(scenario.id, result);
        records.push({ id: scenario.id, title: scenario.title, durationMs: Date.now() - started, ...result });
      } catch (err) {
        log(`scenario ${scenario.id} failed: ${(err as Error)?.stack ?? err}`);
        records.push({ id: scenario.id, title: scenario.title, durationMs: Date.now() - started, figures: [], error: String((err as Error)?.message ?? err) });
      }
      log(`scenario ${scenario.id} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    workerHwm = s.worker.rss.hwmBytes();
  } finally {
    await stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  records.sort((a, b) => Number(a.id) - Number(b.id));
  const out = path.resolve(opts.out ?? defaultOut(opts));
  const document = {
    format: 1,
    date: localDate(new Date(began)),
    startedAt: new Date(began).toISOString(),
    durationMs: Date.now() - began,
    smoke: opts.smoke,
    only: opts.only ?? null,
    git: gitFacts(ROOT_DIR),
    machine: machineFacts(),
    stack: {
      temporal: 'temporal server start-dev (in memory, no UI), started by the runner',
      simCloud: 'in memory, in the runner process',
      worker: 'node bin/tugboat.js worker, its own process, one for the whole run; TUGBOAT_LOG_LEVEL=WARN',
      workerHwmBytes: workerHwm,
    },
    historyBytes: 'sum over events of the protobuf-encoded HistoryEvent size',
    seeds: seeds(opts.smoke),
    scenarios: records,
    figures: flatFigures(records),
  };
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, toJson(document));
  process.stdout.write(`\n${renderTable(records)}\n\nwritten to ${path.relative(process.cwd(), out) || out}\n`);
  return records.some((r) => r.error) ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${(err as Error)?.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
