/**
 * The chaos suite's CI subset (`npm run chaos` runs 50 seeds; see CHAOS.md): a few fixed seeds
 * that together SIGKILL workers (mid-apply of an OpenTofu module, before an intent reaches the
 * ledger, mid-compensation), restart the Temporal dev server (SIGKILLed mid-apply,
 * mid-verify, mid-compensation), cut the state store (after a child completed, mid-compensation),
 * fail 30 % of steps transiently, and roll back twice. Each must end in the phase its faults imply,
 * create every resource at most once, leave nothing after a rollback, release the environment
 * and replay every history: zero violations.
 * The runner starts its own dev server (it restarts it), simulated cloud, PostgreSQL proxy and
 * worker processes (the built CLI, which `npm test` builds first), and stops them by PID.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runChaos } from '../../chaos/run';
import { describeFault } from '../../chaos/lib/plan';
import { renderLine } from '../../chaos/lib/report';

const SEEDS = [4, 9, 12, 20];

describe('chaos (fixed seeds)', () => {
  it('ends every run in the phase its faults imply, with no violation', async () => {
    expect(fs.existsSync(path.resolve(__dirname, '..', '..', 'dist', 'workflow-bundle.js'))).toBe(true);
    const lines: string[] = [];
    const reports = await runChaos(SEEDS, { log: () => undefined, onReport: (r) => lines.push(renderLine(r)) });

    expect(reports.map((r) => r.seed)).toEqual(SEEDS);
    // The seeds cover what they are here for: every fault kind reached its point, and a rollback.
    const injected = reports.flatMap((r) => r.faults.filter((f) => f.reached).map((f) => f.fault));
    expect(new Set(injected.map((f) => f.kind))).toEqual(new Set(['kill-worker', 'restart-server', 'store-down', 'transient']));
    expect(reports.filter((r) => r.plan.expectedPhase === 'ROLLED_BACK').length).toBeGreaterThanOrEqual(1);
    expect(injected.map(describeFault)).toEqual(reports.flatMap((r) => r.plan.faults.map(describeFault)));

    expect(reports.flatMap((r) => r.violations.map((v) => `seed ${r.seed}: ${v}`))).toEqual([]);
    for (const r of reports) {
      expect({ seed: r.seed, phase: r.actualPhase }).toEqual({ seed: r.seed, phase: r.plan.expectedPhase });
      expect(r.resourcesChecked).toBe(20);
      // The parent and its 20 children; a rollback skips the services that had not started.
      if (r.plan.expectedPhase === 'SUCCEEDED') expect(r.historiesReplayed).toBe(21);
      else expect(r.historiesReplayed).toBeGreaterThan(1);
    }
    expect(lines).toHaveLength(SEEDS.length);
  }, 600_000);
});
