/**
 * The live view's frame: a deployment's status as lines for a terminal that is redrawn in place
 * (./index.ts draws them). Pure: the clock, the terminal's size, whether it takes colour and the
 * durations to expect are all inputs, so a fixed input gives a fixed frame.
 *
 * What a frame shows: the phase and how long it has run; the ETA, from what is left of the
 * critical path (per-service durations: learned from past deployments of the environment where
 * known, else the plan's declared ones); that path; then wave by wave each service's state,
 * attempt, elapsed (and expected) time and what it is doing; and what an operator can do now.
 */
import type { ApprovalRequest, BakeProgress, DeploymentProgress } from '../../api/progress';
import type { DeploymentStatus, ServiceStatus } from '../../client/status';
import { nextSteps } from '../render-status';

/**
 * The status the view draws. Progress the status may carry beside DeploymentStatus's fields
 * (pause, approvals, bake window) is read when present: the frame says more, never less.
 */
export type LiveStatus = DeploymentStatus & {
  paused?: DeploymentProgress['paused'] | null;
  approvals?: Record<string, ApprovalRequest[]> | null;
  bake?: BakeProgress | null;
};

export interface FrameOptions {
  /** The clock (ms since the epoch): elapsed times and the ETA are read against it. */
  now: number;
  /** Columns: no line is longer. */
  width: number;
  /** Rows: the frame keeps to one fewer (finished waves fold, then services are cut). */
  height?: number;
  /** ANSI colours (only when the stream supports them). */
  color: boolean;
  /** Each service's direct dependencies (the plan's). Without them each wave waits for the one before. */
  dependencies?: Record<string, string[]>;
  /** Durations the plan declares (ms), for the services that declare one (simulate.duration). */
  planMs?: Record<string, number>;
  /** Durations learned from past deployment records of this environment (ms): preferred over planMs. */
  learnedMs?: Record<string, number>;
  /**
   * The last frame, left on the screen above the report that follows it (../deploy-flow.ts), which
   * tells the error, the rollback and what to do next in full: the frame leaves those lines out.
   */
  final?: boolean;
}

type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan' | 'magenta';
/** A piece of a line and how to colour it. */
type Seg = readonly [text: string, style?: Style];
type Line = Seg[];
/** A line of the services table: what folding may do with it. */
interface Row {
  kind: 'columns' | 'wave' | 'service';
  line: Line;
  wave: number;
  /** Every service of its wave has finished. */
  done: boolean;
}

const SGR: Record<Style, [string, string]> = {
  bold: ['\x1b[1m', '\x1b[22m'],
  dim: ['\x1b[2m', '\x1b[22m'],
  red: ['\x1b[31m', '\x1b[39m'],
  green: ['\x1b[32m', '\x1b[39m'],
  yellow: ['\x1b[33m', '\x1b[39m'],
  cyan: ['\x1b[36m', '\x1b[39m'],
  magenta: ['\x1b[35m', '\x1b[39m'],
};

/** A state's mark and colour in the list. */
const LOOK: Record<string, { mark: string; style: Style }> = {
  PENDING: { mark: '·', style: 'dim' },
  WAITING: { mark: '·', style: 'dim' },
  AWAITING_APPROVAL: { mark: '?', style: 'yellow' },
  RUNNING: { mark: '>', style: 'cyan' },
  RETRYING: { mark: '↻', style: 'yellow' },
  SUCCEEDED: { mark: '✓', style: 'green' },
  UNCHANGED: { mark: '=', style: 'green' },
  FAILED: { mark: '✗', style: 'red' },
  SKIPPED: { mark: '-', style: 'dim' },
  CANCELLED: { mark: '-', style: 'yellow' },
  ROLLING_BACK: { mark: '<', style: 'magenta' },
  ROLLED_BACK: { mark: '↶', style: 'magenta' },
  RETAINED: { mark: '■', style: 'yellow' },
  ROLLBACK_BLOCKED: { mark: '!', style: 'red' },
};

const PHASE_STYLE: Record<string, Style> = {
  SUCCEEDED: 'green',
  PARTIAL: 'yellow',
  PAUSED: 'yellow',
  HALTED: 'yellow',
  BAKING: 'cyan',
  FAILED: 'red',
  ROLLBACK_BLOCKED: 'red',
  ROLLING_BACK: 'magenta',
  ROLLED_BACK: 'magenta',
  CANCELLED: 'yellow',
};

/** Service states that will not run (forward) again: what is left of the path starts after them. */
const FINISHED: ReadonlySet<string> = new Set([
  'SUCCEEDED',
  'UNCHANGED',
  'FAILED',
  'SKIPPED',
  'CANCELLED',
  'ROLLING_BACK',
  'ROLLED_BACK',
  'RETAINED',
  'ROLLBACK_BLOCKED',
]);
const ACTIVE: ReadonlySet<string> = new Set(['RUNNING', 'RETRYING']);
/** Phases in which services still start: an ETA means something. */
const FORWARD: ReadonlySet<string> = new Set(['VALIDATING', 'DEPLOYING', 'PAUSED', 'HALTED']);

/** What is left, by the durations known: when it should end and along which chain. */
export interface Estimate {
  /** ms from now until the last service should be done; null when no remaining service has a known duration. */
  remainingMs: number | null;
  /** The chain of unfinished services that decides it, first to run first. */
  path: string[];
  /** Unfinished services without a known duration (counted as 0 in remainingMs). */
  unknown: string[];
  /** Services awaiting approval: the estimate leaves out how long a person takes. */
  awaitingApproval: string[];
  /** Each unfinished service's expected duration (ms), where known. */
  expectedMs: Record<string, number>;
}

/**
 * The remaining critical path: every unfinished service is expected to end its expected duration
 * after the latest of its dependencies (a running one, after what is left of its own). The
 * latest-ending chain is the critical path; its end, the ETA. Without any known duration each
 * service weighs 1, so the path is still the longest chain left (and remainingMs is null).
 */
export function estimate(status: DeploymentStatus, opts: Pick<FrameOptions, 'now' | 'dependencies' | 'planMs' | 'learnedMs'>): Estimate {
  const expectedMs: Record<string, number> = {};
  const durationOf = (name: string): number | undefined => opts.learnedMs?.[name] ?? opts.planMs?.[name];
  const order = status.waves.flat();
  const anyKnown = order.some((name) => !FINISHED.has(status.services[name]?.state) && durationOf(name) !== undefined);
  const unknown: string[] = [];
  const awaitingApproval: string[] = [];
  const end = new Map<string, number>();
  const via = new Map<string, string | undefined>();
  for (const name of order) {
    const s = status.services[name];
    if (!s || FINISHED.has(s.state)) continue;
    const known = durationOf(name);
    if (known !== undefined) expectedMs[name] = known;
    else unknown.push(name);
    if (s.state === 'AWAITING_APPROVAL') awaitingApproval.push(name);
    const weight = anyKnown ? (known ?? 0) : 1;
    if (ACTIVE.has(s.state)) {
      const ran = s.started_at ? opts.now - Date.parse(s.started_at) : 0;
      end.set(name, anyKnown ? Math.max(0, weight - ran) : weight);
      via.set(name, undefined);
      continue;
    }
    let after = 0;
    let from: string | undefined;
    for (const dep of dependenciesOf(status, name, opts.dependencies)) {
      const e = end.get(dep);
      if (e !== undefined && (e > after || (e === after && from === undefined))) {
        after = e;
        from = dep;
      }
    }
    end.set(name, after + weight);
    via.set(name, from);
  }
  let last: string | undefined;
  for (const [name, e] of end) if (last === undefined || e > end.get(last)!) last = name;
  const path: string[] = [];
  for (let at = last; at !== undefined; at = via.get(at)) path.unshift(at);
  return {
    remainingMs: anyKnown && last !== undefined ? end.get(last)! : null,
    path,
    unknown,
    awaitingApproval,
    expectedMs,
  };
}

function dependenciesOf(status: DeploymentStatus, name: string, dependencies?: Record<string, string[]>): string[] {
  const declared = dependencies?.[name];
  if (declared) return declared;
  const wave = status.services[name].wave;
  return wave > 0 ? (status.waves[wave - 1] ?? []) : [];
}

/** The frame: at most `height - 1` lines, none wider than `width`. */
export function renderFrame(status: LiveStatus, opts: FrameOptions): string[] {
  const est = estimate(status, opts);
  const onPath = new Set(FORWARD.has(status.phase) ? est.path : []);
  const head: Line[] = [headLine(status, opts.now), ...progressLines(status, est, opts)];
  const anyExpected = Object.keys(est.expectedMs).length > 0;
  const nameWidth = Math.max(7, ...Object.keys(status.services).map((n) => n.length));
  const table: Row[] = [];
  table.push({ kind: 'columns', line: [[`    ${'SERVICE'.padEnd(nameWidth)}  ${'STATE'.padEnd(17)}  ATTEMPT  ${anyExpected ? 'ELAPSED / EXPECTED' : 'ELAPSED'}`, 'dim']], wave: -1, done: false });
  status.waves.forEach((wave, i) => {
    const done = wave.every((name) => FINISHED.has(status.services[name]?.state));
    table.push({ kind: 'wave', line: [[`wave ${i + 1}`, 'bold']], wave: i, done });
    for (const name of wave) {
      const s = status.services[name];
      if (s) table.push({ kind: 'service', line: serviceLine(status, name, s, onPath.has(name), nameWidth, est, anyExpected, opts.now), wave: i, done });
    }
  });
  const tail: Line[] = opts.final ? [] : footLines(status, est, opts.now);
  // What to do next is never cut: it wraps.
  const fitted = fitHeight(head, table, tail.flatMap((line) => wrap(line, opts.width)), status, opts.height);
  return fitted.map((line) => paint(truncate(line, opts.width), opts.color));
}

function headLine(status: LiveStatus, now: number): Line {
  const ran = (status.ended_at ? Date.parse(status.ended_at) : now) - Date.parse(status.started_at);
  return [
    [`${status.name} → ${status.environment}   `, 'bold'],
    [status.phase, PHASE_STYLE[status.phase] ?? 'cyan'],
    [`   ${clock(ran)}   ${status.id}`],
  ];
}

/** ETA and the critical path while services still start; the bake window while it bakes. */
function progressLines(status: LiveStatus, est: Estimate, opts: FrameOptions): Line[] {
  const lines: Line[] = [];
  const counts = Object.values(status.services);
  const finished = counts.filter((s) => FINISHED.has(s.state)).length;
  if (status.phase === 'BAKING') {
    const bake = status.bake;
    const left = bake ? Date.parse(bake.until) - opts.now : undefined;
    const checks = bake?.checks !== undefined ? `, ${bake.checks} health check${bake.checks === 1 ? '' : 's'} so far` : '';
    lines.push([['baking: ', 'cyan'], [left !== undefined ? `watching health for ${clock(Math.max(0, left))} more (ETA ${clock(Math.max(0, left))})${checks}` : 'watching health before it counts as done']]);
    return lines;
  }
  if (!FORWARD.has(status.phase)) return lines;
  const done = `${finished}/${counts.length} services done`;
  let eta: string;
  if (status.phase === 'PAUSED') eta = 'ETA: paused';
  else if (status.phase === 'HALTED') eta = 'ETA: halted';
  else if (est.path.length === 0) eta = 'ETA: finishing';
  else if (est.remainingMs === null) eta = 'ETA unknown (no durations: none declared, no past deployments)';
  else {
    const lower = est.unknown.length > 0 ? '≥ ' : '~';
    const gate = est.awaitingApproval.length > 0 ? ` after approval of ${est.awaitingApproval.join(', ')}` : '';
    const missing = est.unknown.length > 0 ? ` (no duration for ${est.unknown.join(', ')})` : '';
    eta = `ETA ${lower}${clock(est.remainingMs)}${gate}${missing}`;
  }
  const source = durationSource(opts);
  lines.push([[eta, 'bold'], [`   ${done}${source ? `   durations: ${source}` : ''}`, 'dim']]);
  if (est.path.length > 0) {
    lines.push([['critical path left: ', 'dim'], [est.path.join(' → ')], ['  (* below)', 'dim']]);
  }
  return lines;
}

function durationSource(opts: FrameOptions): string {
  const learned = Object.keys(opts.learnedMs ?? {}).length > 0;
  const declared = Object.keys(opts.planMs ?? {}).length > 0;
  if (learned && declared) return 'past deployments, else declared';
  if (learned) return 'past deployments';
  if (declared) return 'declared (simulate)';
  return '';
}

function serviceLine(
  status: LiveStatus,
  name: string,
  s: ServiceStatus,
  critical: boolean,
  nameWidth: number,
  est: Estimate,
  anyExpected: boolean,
  now: number,
): Line {
  const look = LOOK[s.state] ?? { mark: ' ', style: 'cyan' as Style };
  // Running: the attempt it is on. Ended: the most any of its steps took, when that was more than one.
  const tries = ACTIVE.has(s.state) ? s.attempt : Math.max(s.attempt ?? 0, ...Object.values(s.steps).map((step) => step?.attempts ?? 0));
  const attempt = tries && (tries > 1 || ACTIVE.has(s.state)) ? String(tries) : '';
  const ran = s.started_at ? (s.ended_at ? Date.parse(s.ended_at) : now) - Date.parse(s.started_at) : undefined;
  const expected = est.expectedMs[name];
  let time = ran !== undefined && !['PENDING', 'WAITING', 'AWAITING_APPROVAL'].includes(s.state) ? clock(ran) : '';
  if (anyExpected && expected !== undefined && !FINISHED.has(s.state)) time = `${time || '-'} / ~${clock(expected)}`;
  const line: Line = [
    [`  ${look.mark}`, look.style],
    [critical ? '*' : ' ', 'bold'],
    [name.padEnd(nameWidth), critical ? 'bold' : undefined],
    ['  '],
    [s.state.padEnd(17), look.style],
    [`  ${attempt.padStart(7)}  ${time.padEnd(anyExpected ? 18 : 8)}`],
  ];
  const detail = serviceDetail(status, name, s, now);
  if (detail) line.push(['  '], [detail, s.state === 'FAILED' || s.state === 'ROLLBACK_BLOCKED' ? 'red' : 'dim']);
  return line;
}

/** What a service is doing or why it stopped, on one line. */
function serviceDetail(status: LiveStatus, name: string, s: ServiceStatus, now: number): string {
  switch (s.state) {
    case 'RUNNING':
      return clean(s.activity ?? '');
    case 'RETRYING':
      return clean(`last failure: ${s.last_failure ?? 'failed'}`);
    case 'AWAITING_APPROVAL': {
      const open = status.approvals?.[name]?.at(-1);
      return open ? `needs approval, ${clock(Math.max(0, Date.parse(open.deadline) - now))} left` : 'needs approval';
    }
    case 'SUCCEEDED': {
      const outputs = Object.entries(s.outputs).filter(([k]) => k !== 'version');
      return clean(outputs.map(([k, v]) => `${k}=${v}`).join(' '));
    }
    case 'UNCHANGED':
      return s.outputs.version ? clean(`already at ${s.outputs.version}`) : 'already deployed';
    default:
      return clean(s.error ?? '');
  }
}

/** What an operator can do now, and how it is being undone. */
function footLines(status: LiveStatus, est: Estimate, now: number): Line[] {
  const lines: Line[] = [];
  if (status.phase === 'PAUSED') {
    const p = status.paused;
    const who = p ? ` by ${p.by ?? 'someone'}${p.reason ? ` (${p.reason})` : ''}, ${clock(now - Date.parse(p.at))} ago` : '';
    lines.push([[`paused${who}: nothing new starts, running services finish. Resume: tugboat resume ${status.id}`, 'yellow']]);
  }
  if (status.phase === 'HALTED') {
    lines.push([[haltedStep(status), 'yellow']]);
  }
  if (est.awaitingApproval.length > 0 && FORWARD.has(status.phase)) {
    for (const name of est.awaitingApproval) {
      lines.push([[`${name} waits for approval: tugboat approve ${status.id} --service ${name} (or reject)`, 'yellow']]);
    }
  }
  if (status.rollback) {
    const r = status.rollback;
    lines.push([[`rollback ${r.state}: ${clean(r.reason)}; undone: ${r.order.join(' → ') || '(nothing yet)'}`, 'magenta']]);
  }
  if (status.error && !FORWARD.has(status.phase)) lines.push([[`error: ${clean(status.error)}`, 'red']]);
  for (const step of nextSteps(status)) lines.push([[step, 'yellow']]);
  return lines;
}

/** What to do about a halted deployment (on_failure: halt). */
export function haltedStep(status: Pick<DeploymentStatus, 'id'>): string {
  return `halted after a failure. Fix the cause, then: tugboat retry ${status.id} | tugboat rollback ${status.id} | tugboat accept ${status.id} (ends PARTIAL)`;
}

/**
 * Keep to the terminal's height: fold finished waves into one line each, then cut services off
 * the end with a count of what is not shown. The head and foot always stay.
 */
function fitHeight(head: Line[], table: Row[], tail: Line[], status: LiveStatus, height?: number): Line[] {
  const all = () => [...head, ...table.map((r) => r.line), ...tail];
  if (!height || all().length <= height - 1) return all();
  const folded: Row[] = [];
  for (const row of table) {
    if (!row.done) folded.push(row);
    else if (row.kind === 'wave') {
      const names = status.waves[row.wave];
      const states = summarize(names.map((n) => status.services[n]?.state ?? '?'));
      folded.push({ kind: 'wave', line: [[`wave ${row.wave + 1}`, 'bold'], [`  ${states}: ${names.join(', ')}`, 'dim']], wave: row.wave, done: true });
    }
  }
  const room = Math.max(1, height - 1 - head.length - tail.length);
  if (folded.length <= room) return [...head, ...folded.map((r) => r.line), ...tail];
  const kept = folded.slice(0, Math.max(0, room - 1));
  // A folded wave stands for all its services.
  const hidden = folded
    .slice(kept.length)
    .reduce((n, r) => n + (r.kind === 'service' ? 1 : r.kind === 'wave' && r.done ? status.waves[r.wave].length : 0), 0);
  const more: Line = [[`… ${hidden} more service${hidden === 1 ? '' : 's'} (enlarge the terminal, or tugboat status ${status.id})`, 'dim']];
  return [...head, ...kept.map((r) => r.line), more, ...tail].slice(0, Math.max(1, height - 1));
}

function summarize(states: string[]): string {
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
}

/** A one-piece line broken at spaces into lines of at most `width` columns (a longer word is cut later). */
function wrap(line: Line, width: number): Line[] {
  if (line.length !== 1 || [...line[0][0]].length <= width) return [line];
  const [text, style] = line[0];
  const out: Line[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current && [...`${current} ${word}`].length > width) {
      out.push([[current, style]]);
      current = `  ${word}`;
    } else {
      current = current ? `${current} ${word}` : word;
    }
  }
  if (current) out.push([[current, style]]);
  return out;
}

/** Cut a line to `width` columns (a cut line ends with …). */
function truncate(line: Line, width: number): Line {
  const max = Math.max(1, width);
  const out: Seg[] = [];
  let used = 0;
  for (const [text, style] of line) {
    const chars = [...text];
    if (used + chars.length <= max) {
      out.push([text, style]);
      used += chars.length;
      continue;
    }
    const room = max - used - 1;
    if (room > 0) out.push([chars.slice(0, room).join(''), style]);
    out.push(['…', style]);
    break;
  }
  // Trailing padding is invisible and would only make the terminal wrap sooner.
  while (out.length > 0 && out[out.length - 1][0].trimEnd() === '') out.pop();
  const last = out.at(-1);
  if (last) out[out.length - 1] = [last[0].trimEnd(), last[1]];
  return out;
}

function paint(line: Line, color: boolean): string {
  return line.map(([text, style]) => (color && style && text ? `${SGR[style][0]}${text}${SGR[style][1]}` : text)).join('');
}

/**
 * Text from outside (a tool's output line, an error) on one line, without control characters: an
 * escape sequence in a heartbeat must not move the cursor of the frame being drawn.
 */
export function clean(text: string): string {
  return text
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b[@-_]/g, '')
    .replace(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/g, ' ')
    .replace(/\s*\n\s*/g, ' | ')
    .trim();
}

/** 850 → 0.9s, 65_000 → 1m05s, 3_700_000 → 1h01m. */
export function clock(ms: number): string {
  const tenths = Math.round(Math.max(0, ms) / 100);
  const s = tenths / 10;
  if (s < 60) return `${s.toFixed(1)}s`;
  const whole = Math.floor(s);
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}
