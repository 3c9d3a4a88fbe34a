/**
 * The chaos runner (`npm run chaos`, issue 13): deploys a seeded 20-service release (simulated,
 * shell and OpenTofu services) across two worker processes while killing workers, restarting the
 * Temporal dev server, cutting the state store and failing steps transiently, at detected points;
 * then checks the phase, creations, leftovers, the lock and replay. See CHAOS.md.
 *
 *   npm run chaos                         seeds 1..10
 *   npm run chaos -- --seeds 50           seeds 1..50, table written to CHAOS.md
 *   npm run chaos -- --seed 17 --seed 4   just those
 *   npm run chaos -- --out other.md       the table elsewhere (--no-out: print only)
 *   CHAOS_TIMELINE=1 npm run chaos -- --seed 9   also log when each child started and ended
 *
 * The workers run the built CLI (dist/): `npm run build` after changing src/.
 * Exit code 0 with no violation, 1 with any, 2 for bad arguments.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CleanupStack } from '../src/system/cleanup';
import { installWorkerLogging } from '../src/worker/logging';
import { planFor } from './lib/plan';
import { renderChaosMd, renderLine, renderSummary, renderTable, summarise } from './lib/report';
import { runSeed, type SeedReport } from './lib/run-seed';
import { makeRunDir, ROOT_DIR, startServerStack } from './lib/stack';
import { parseOrExplain, UsageError } from '../scripts/lib/usage';

export interface ChaosOptions {
  seeds: number[];
  out?: string;
}

const USAGE = 'usage: npm run chaos [-- --seeds 50] [--seed 17 ...] [--out CHAOS.md | --no-out]';

export function parseArgs(argv: string[]): ChaosOptions {
  let count: number | undefined;
  const picked: number[] = [];
  let out: string | undefined;
  let noOut = false;
  const int = (arg: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < 1) throw new UsageError(`${arg} needs a positive integer (got ${v ?? 'nothing'})`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--seeds') count = int(arg, argv[++i]);
    else if (arg === '--seed') picked.push(int(arg, argv[++i]));
    else if (arg === '--out') {
      out = argv[++i];
      if (!out) throw new UsageError('--out needs a file');
    } else if (arg === '--no-out') noOut = true;
    else if (arg === '--help' || arg === '-h') throw new UsageError('');
    else throw new UsageError(`unknown argument ${arg}`);
  }
  const seeds = picked.length > 0 ? picked : Array.from({ length: count ?? 10 }, (_, i) => i + 1);
  // A table of a few picked seeds does not replace the committed 50-seed one unless asked to.
  const defaultOut = picked.length === 0 && count !== undefined ? path.join(ROOT_DIR, 'CHAOS.md') : undefined;
  return { seeds, out: noOut ? undefined : (out ?? defaultOut) };
}

/** Runs the seeds one after another on one dev server; each seed's own pieces are stopped when it ends. */
export async function runChaos(
  seeds: number[],
  opts: { log: (msg: string) => void; onReport?: (r: SeedReport) => void; cleanup?: CleanupStack },
): Promise<SeedReport[]> {
  // The replay checks run an SDK worker in this process: its state changes are not news.
  installWorkerLogging('ERROR');
  const suite = opts.cleanup ?? new CleanupStack();
  const reports: SeedReport[] = [];
  try {
    const dir = makeRunDir('tugboat-chaos-server-');
    suite.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const server = await startServerStack({ cleanup: suite, log: opts.log, dir });
    for (const seed of seeds) {
      const cleanup = new CleanupStack();
      suite.push(() => cleanup.run()); // Ctrl-C in the middle of a seed stops its pieces too
      let report: SeedReport;
      try {
        report = await runSeed({ seed, server, cleanup, log: opts.log });
      } catch (err) {
        report = crashed(seed, err);
      } finally {
        for (const err of await cleanup.run()) opts.log(`seed ${seed} cleanup: ${(err as Error)?.message ?? err}`);
      }
      reports.push(report);
      opts.onReport?.(report);
    }
  } finally {
    if (!opts.cleanup) for (const err of await suite.run()) opts.log(`cleanup: ${(err as Error)?.message ?? err}`);
  }
  return reports;
}

/** A seed whose runner failed (the stack did not start, a check threw) counts as a violation. */
function crashed(seed: number, err: unknown): SeedReport {
  return {
    seed,
    plan: planFor(seed),
    faults: [],
    actualPhase: 'runner error',
    resourcesChecked: 0,
    historiesReplayed: 0,
    violations: [`the run itself failed: ${(err as Error)?.stack ?? err}`],
    seconds: 0,
  };
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const parsed = parseOrExplain(() => parseArgs(argv), USAGE);
  if (!parsed.ok) return parsed.exitCode;
  const { opts } = parsed;
  const startedAt = new Date();
  const log = (msg: string) => process.stderr.write(`[chaos +${((Date.now() - startedAt.getTime()) / 1000).toFixed(1)}s] ${msg}\n`);
  const cleanup = new CleanupStack();
  let stopping: Promise<unknown> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the workers, the simulated cloud, the proxy and the dev server`);
    stopping ??= cleanup.run();
    void stopping.finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const reports = await runChaos(opts.seeds, { log, cleanup, onReport: (r) => process.stdout.write(`${renderLine(r)}\n`) });
  for (const err of await cleanup.run()) log(`cleanup: ${(err as Error)?.message ?? err}`);
  process.stdout.write(`\n${renderTable(reports)}\n\n${renderSummary(summarise(reports))}\n`);
  if (opts.out) {
    const command = `npm run chaos -- ${argv.join(' ')}`.trim();
    fs.writeFileSync(opts.out, renderChaosMd(reports, { command, startedAt }));
    log(`table written to ${opts.out}`);
  }
  return reports.some((r) => r.violations.length > 0) ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${(err as Error)?.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
