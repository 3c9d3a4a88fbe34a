/**
 * The runner's output: a table on stdout (figure, value, target, met?) and one JSON document per
 * run with the machine's facts, the commit, the seeds and every figure.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { Figure, ScenarioResult, Target } from './types';

export function met(value: number, target?: Target): boolean | null {
  if (!target) return null;
  if (!Number.isFinite(value)) return false;
  switch (target.op) {
    case '<=':
      return value <= target.value;
    case '<':
      return value < target.value;
    case '>=':
      return value >= target.value;
  }
}

export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  // Ratios are compared with targets like 1.03: three decimals.
  const digits = Number.isInteger(value) ? 0 : unit === '×' ? 3 : abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return `${value.toFixed(digits)} ${unit}`.trim();
}

export interface ScenarioRecord extends ScenarioResult {
  id: string;
  title: string;
  durationMs: number;
  /** The scenario threw: its message (figures then hold what it had, or nothing). */
  error?: string;
}

export function renderTable(records: ScenarioRecord[]): string {
  const rows: string[][] = [['figure', 'value', 'target', 'met']];
  for (const record of records) {
    rows.push([`${record.id}. ${record.title}${record.error ? `  — FAILED: ${firstLine(record.error)}` : ''}`, '', '', '']);
    for (const f of record.figures) {
      const ok = met(f.value, f.target);
      rows.push([
        `   ${f.label}`,
        formatValue(f.value, f.unit),
        f.target ? `${f.target.op} ${f.target.value} ${f.unit}`.trim() : '',
        ok === null ? (Number.isFinite(f.value) ? '' : 'FAILED') : ok ? 'yes' : 'NO',
      ]);
      if (f.note) rows.push([`     ↳ ${firstLine(f.note)}`, '', '', '']);
    }
  }
  // Scenario titles and notes are lines of their own: only figure rows set the column widths.
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.filter((r) => r[1] !== '').map((r) => r[c].length)));
  return rows
    .map((r, i) => {
      if (i > 0 && r[1] === '' && r[2] === '' && r[3] === '') return r[0];
      return [r[0].padEnd(widths[0]), r[1].padStart(widths[1]), r[2].padEnd(widths[2]), r[3]].join('  ').trimEnd();
    })
    .join('\n');
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}

export function machineFacts() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage1m: os.loadavg()[0],
  };
}

export function gitFacts(cwd: string): { commit: string; dirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8' });
    return { commit, dirty: status.trim() !== '' };
  } catch {
    return { commit: 'unknown', dirty: null };
  }
}

/** JSON has no NaN or Infinity: they become null (the figure's note says why). */
export function toJson(document: unknown): string {
  return `${JSON.stringify(document, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`;
}

export function flatFigures(records: ScenarioRecord[]): Array<Figure & { scenario: string; met: boolean | null }> {
  return records.flatMap((r) => r.figures.map((f) => ({ scenario: r.id, ...f, met: met(f.value, f.target) })));
}

/** Local date, YYYY-MM-DD: the results file's name. */
export function localDate(d = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
