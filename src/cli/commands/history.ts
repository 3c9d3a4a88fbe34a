/** `tugboat history <name>/<environment>`: the environment's deployments from the state store. */
import { type Command, InvalidArgumentError } from 'commander';
import { EnvironmentRefError, environmentHistory, parseEnvironmentRef, type EnvironmentHistory, type HistoryEntry } from '../../client/history';
import { withLocalStateStore } from '../../client/local-store';
import { formatMs } from '../../plan/render';
import { CliError, ExitCode } from '../exit-codes';

export const DEFAULT_LIMIT = 20;

/** --limit: a whole number of deployments, at least 1. */
export function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('expected a whole number of deployments from 1 to 10000');
  return n;
}

/** 2026-11-23 18:30:12Z: an ISO time to the second, readable in a column. */
export function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

const VERSIONS_WIDTH = 60;

/** "api@2.0.1 web@3.1 vpc": every service, by name, cut to fit a line ("… +3" says how many are not shown). */
export function compactVersions(entry: Pick<HistoryEntry, 'services'>, width = VERSIONS_WIDTH): string {
  const parts = Object.entries(entry.services).map(([name, s]) => (s.version !== undefined ? `${name}@${s.version}` : name));
  if (parts.length === 0) return '-';
  let text = '';
  for (let i = 0; i < parts.length; i++) {
    const next = text ? `${text} ${parts[i]}` : parts[i];
    const rest = parts.length - i - 1;
    if (text && next.length + (rest > 0 ? ` … +${rest}`.length : 0) > width) return `${text} … +${parts.length - i}`;
    text = next;
  }
  return text;
}

export function renderHistory(history: EnvironmentHistory): string {
  const ref = `${history.name}/${history.environment}`;
  if (history.total === 0) {
    return [
      `No deployments of ${ref} recorded in ${history.store}.`,
      'A deployment is recorded when it ends; deploy with:',
      `  tugboat deploy <manifest>    (deployment.name: ${history.name}, deployment.environment: ${history.environment})`,
      `A running deployment shows in: tugboat status ${ref}`,
      'Records live in the state store of the workers that ran them: TUGBOAT_STATE as they have it, else their TUGBOAT_HOME/state (set TUGBOAT_HOME if it is not this directory\'s .tugboat).',
    ].join('\n');
  }
  const rows = history.deployments.map((d) => [
    d.id,
    d.phase,
    formatMs(d.duration_ms),
    d.requested_by ?? '-',
    shortTime(d.started_at),
    compactVersions(d),
  ]);
  const header = ['DEPLOYMENT', 'PHASE', 'DURATION', 'BY', 'STARTED', 'VERSIONS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  const shown = history.deployments.length;
  const lines = [
    `${ref}: ${history.total} deployment${history.total === 1 ? '' : 's'}, newest first (from ${history.store})`,
    line(header),
    ...rows.map(line),
  ];
  if (shown < history.total) lines.push(`… ${history.total - shown} older not shown (--limit ${history.total})`);
  return lines.join('\n');
}

export function registerHistory(program: Command): void {
  program
    .command('history')
    .description("List an environment's deployments from the state store: ID, phase, duration, who, when, versions.")
    .argument('<name/environment>', "the manifest's deployment.name and deployment.environment, e.g. ecommerce-app/production")
    .option('--limit <n>', `show the newest n deployments (default ${DEFAULT_LIMIT})`, parseLimit, DEFAULT_LIMIT)
    .option('--json', 'print {"name","environment","store","total","deployments":[{"id","phase","started_at","ended_at","duration_ms","requested_by","versions","services"}]}')
    .addHelpText(
      'after',
      '\nExamples:\n  tugboat history ecommerce-app/production\n  tugboat history ecommerce-app/production --limit 5 --json | jq \'.deployments[].versions\'\n\nReads the deployment records in the state store the workers write (TUGBOAT_STATE, default\nTUGBOAT_HOME/state; the worker writes one when a deployment ends), so it reaches back past\nTemporal\'s retention. Running deployments: tugboat list.',
    )
    .action(async (ref: string, opts: { limit: number; json?: boolean }) => {
      let key;
      try {
        key = parseEnvironmentRef(ref);
      } catch (err) {
        if (err instanceof EnvironmentRefError) throw new CliError(err.message, ExitCode.badInput);
        throw err;
      }
      const history = await withLocalStateStore((store) => environmentHistory(store, key, opts.limit));
      process.stdout.write(`${opts.json ? JSON.stringify(history) : renderHistory(history)}\n`);
    });
}
