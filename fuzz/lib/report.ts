/** The fuzz run's table (terminal and FUZZ.md) and FUZZ.md itself. */
import type { SurfaceReport } from './cases';

const HEADER = ['surface', 'cases', 'accepted', 'refused', 'violations', 'slowest case ms', 'seed'];

function rows(reports: SurfaceReport[]): string[][] {
  return reports.map((r) => [r.surface, String(r.cases), String(r.accepted), String(r.refused), String(r.violations.length), r.slowestMs.toFixed(0), String(r.seed)]);
}

/** Aligned columns for the terminal. */
export function renderTable(reports: SurfaceReport[]): string {
  const all = [HEADER, ...rows(reports)];
  const widths = HEADER.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  return all.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n');
}

export function renderMarkdownTable(reports: SurfaceReport[]): string {
  return [`| ${HEADER.join(' | ')} |`, `|${HEADER.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows(reports).map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

/** The method and the found-and-fixed list are kept in fuzz/FUZZ.template.md; the run fills in the figures. */
export function renderFuzzMarkdown(reports: SurfaceReport[], run: { seed: number; runs: number; template: string; date?: string }): string {
  const violations = reports.flatMap((r) => r.violations.map((v) => `- ${r.surface}, case ${v.caseIndex}: ${v.message.split('\n')[0]}\n  input: \`${v.input.replace(/`/g, "'")}\``));
  return run.template
    .replace('{{date}}', run.date ?? new Date().toISOString().slice(0, 10))
    .replace('{{command}}', `npm run fuzz -- --seed ${run.seed} --runs ${run.runs}`)
    .replace('{{table}}', renderMarkdownTable(reports))
    .replace('{{violations}}', violations.length === 0 ? 'None.' : violations.join('\n'));
}
