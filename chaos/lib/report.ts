/**
 * The chaos table (printed, and in CHAOS.md with the method and how to reproduce a seed).
 */
import { gitFacts, machineFacts } from '../../bench/lib/report';
import { describeFault } from './plan';
import { RUN_DEADLINE_MS, type SeedReport } from './run-seed';

const HEADER = '| seed | faults (kind@point) | expected | actual | resources checked | histories replayed | violations | s |';

export function renderTable(reports: SeedReport[]): string {
  const rows = reports.map((r) => {
    const faults = r.faults
      .map((f) => `${describeFault(f.fault)}${f.reached ? '' : ' (not reached)'}${f.parentHadProgressed === false ? ' (parent not yet progressed)' : ''}`)
      .join('<br>');
    const violations = r.violations.length === 0 ? '0' : `**${r.violations.length}**: ${r.violations.map(escape).join('; ')}`;
    return `| ${r.seed} | ${faults} | ${r.plan.expectedPhase} | ${r.actualPhase} | ${r.resourcesChecked} | ${r.historiesReplayed} | ${violations} | ${r.seconds.toFixed(1)} |`;
  });
  return [HEADER, '| --- | --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}

/** A line per seed for the terminal as runs end. */
export function renderLine(r: SeedReport): string {
  const status = r.violations.length === 0 ? 'ok' : `${r.violations.length} VIOLATION(S): ${r.violations.join('; ')}`;
  return `seed ${r.seed}: ${r.faults.map((f) => describeFault(f.fault) + (f.reached ? '' : ' (not reached)')).join(', ')} -> ${r.actualPhase} (expected ${r.plan.expectedPhase}), ${r.seconds.toFixed(1)} s: ${status}${r.keptDir ? ` [kept ${r.keptDir}]` : ''}`;
}

export interface Summary {
  runs: number;
  violations: number;
  /** Seeds with a fault whose point was never reached (the run proved less than planned). */
  unreached: number[];
  byKind: Record<string, number>;
  byPoint: Record<string, number>;
  rollbacks: number;
}

export function summarise(reports: SeedReport[]): Summary {
  const byKind: Record<string, number> = {};
  const byPoint: Record<string, number> = {};
  for (const f of reports.flatMap((r) => r.faults.filter((x) => x.reached))) {
    byKind[f.fault.kind] = (byKind[f.fault.kind] ?? 0) + 1;
    byPoint[f.fault.point] = (byPoint[f.fault.point] ?? 0) + 1;
  }
  return {
    runs: reports.length,
    violations: reports.reduce((n, r) => n + r.violations.length, 0),
    unreached: reports.filter((r) => r.faults.some((f) => !f.reached)).map((r) => r.seed),
    byKind,
    byPoint,
    rollbacks: reports.filter((r) => r.plan.expectedPhase === 'ROLLED_BACK').length,
  };
}

export function renderSummary(s: Summary): string {
  const list = (o: Record<string, number>) => Object.entries(o).map(([k, n]) => `${k} ${n}`).join(', ');
  return [
    `${s.runs} runs, ${s.violations} violations; ${s.rollbacks} rollback runs.`,
    `Faults injected by kind: ${list(s.byKind)}.`,
    `By point: ${list(s.byPoint)}.`,
    s.unreached.length > 0 ? `Seeds with a fault whose point was not reached: ${s.unreached.join(', ')}.` : 'Every planned fault reached its point.',
  ].join('\n');
}

export function renderChaosMd(reports: SeedReport[], opts: { command: string; startedAt: Date; notes?: string }): string {
  const m = machineFacts();
  const git = gitFacts(process.cwd());
  const s = summarise(reports);
  return `# Chaos runs

${renderSummary(s)}

Run with \`${opts.command}\` on ${opts.startedAt.toISOString()} — commit ${git.commit.slice(0, 12)}${git.dirty ? ' (with local changes)' : ''}, ${m.cpus} × ${m.cpuModel}, ${m.platform}, Node ${m.node}.
${opts.notes ? `\n${opts.notes}\n` : ''}
${renderTable(reports)}

## Method

Each seed (\`chaos/lib/plan.ts\`) decides, before anything runs, a 20-service release — 12
simulated services, 5 shell services and 3 OpenTofu services (\`terraform_data\` with
provisioners), each depending on up to two earlier ones — whether its last service fails for
good (about 30 % of seeds: the deployment must roll back), and 1–3 faults, each at a point:

| fault | how | points |
| --- | --- | --- |
| \`kill-worker\` | SIGKILL the worker running the step (or the other one); the seed says whether it is started again (at least one worker always is) | any but throughout |
| \`restart-server\` | the Temporal dev server SIGTERMed or SIGKILLed, started again on the same port and database file | any but throughout |
| \`store-down\` | the TCP proxy in front of PostgreSQL (the state store, the ledger, OpenTofu's pg backend) resets every connection and refuses new ones for 2–4 s | any but throughout |
| \`transient\` | about 30 % of steps fail transiently first: sim-cloud overrides (\`fail_transient\` 1–2), shell scripts exiting 75 once | throughout |

Points are detected, never timed: **mid-apply** (the sim cloud holds the apply, or a shell script / OpenTofu provisioner waits on a gate file it announced),
**after-intent** (the step's intent is in the ledger, its side effect held at the cloud), **before-intent** (the runner locks the ledger table once N steps are
confirmed and waits until a worker's intent \`INSERT\` is seen waiting on that lock in \`pg_stat_activity\`: the fault lands with that intent not recorded),
**mid-verify** and **mid-compensation** (cloud holds), **child-completed** (a service's child workflow is COMPLETED; the table says when the parent had not yet
taken it in). The hold or gate is released once the fault has been injected.

Each run has its own stack: a Temporal dev server with a database file (per invocation, restarted by the faults), an in-memory simulated cloud, a PostgreSQL
schema reached only through the cuttable proxy, and two \`tugboat worker\` processes with a \`TUGBOAT_HOME\` each. Checks per run (\`chaos/lib/checks.ts\`):

- the deployment ends in the phase the faults imply: \`SUCCEEDED\` (every service) without a permanent failure, \`ROLLED_BACK\` with one;
- each resource created at most once, exactly once in a success: successful creates per service in the sim cloud's \`/calls\`, \`create\` lines per service in the
  shell scripts' own log (which they write only after checking what exists), create-time provisioner runs of each OpenTofu resource, and the resources in its
  state (read from the pg backend), which must agree with the provisioner's log;
- after a rollback: \`orphans: []\` and nothing left: no resource of the deployment in the sim cloud, every shell create undone, no instance in any OpenTofu state;
- after a success, every intent in the ledger confirmed (an intent left open is a side effect nobody accounted for);
- the environment lock released: the environment's workflow is closed;
- every history, parent and children, replays (\`Worker.runReplayHistories\`) with the workflow bundle the workers ran (\`dist/workflow-bundle.js\`);
- no worker process dies on its own (only the runner's SIGKILLs end one).

Steps retry up to 10 times (200 ms to 2 s apart). The providers' circuit breakers and retry budgets stay on, at the scale of a run of
seconds (\`breaker: { failures: 5, cool_down: 3s }\`, \`retry_budget: { ratio: 0.2, window: 5s, min_calls: 10 }\`): with the defaults a
run with 30 % transient failures waits out a one-minute budget window.

A run still going after ${Math.round(RUN_DEADLINE_MS / 1000)} s is a violation (hung). A run with a violation keeps its directory (worker logs, release, traces, \`violations.json\`).

## Reproducing a seed

\`\`\`sh
npm run build                      # the workers run dist/
npm run chaos -- --seed 17         # one seed, same plan, same points
npm run chaos -- --seeds 50        # seeds 1..50, table in CHAOS.md (--out elsewhere)
\`\`\`
`;
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
