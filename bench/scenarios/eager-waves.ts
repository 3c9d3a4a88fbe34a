/**
 * 2. Eager vs waves: the skewed DAG of scenario 1 deployed both ways in this run (eager first, then
 * waves, the same durations), and the same comparison simulated over a sweep of generated DAGs.
 */
import { simulateSchedule } from '../../src/plan';
import type { Scenario } from '../lib/types';
import { expectSucceeded, figure, planOf } from './common';
import { manifestFor, skewedDag, sweep } from './shapes';

export const scenario: Scenario = {
  id: '2',
  title: 'Eager vs waves',
  async run(ctx) {
    const shape = skewedDag(ctx.smoke);
    const cap = shape.strategy.max_parallel;
    const eagerRaw = manifestFor(shape, `${shape.name}-eager`, { max_parallel: cap, execution: 'eager' });
    const wavesRaw = manifestFor(shape, `${shape.name}-waves`, { max_parallel: cap, execution: 'waves' });
    const plan = planOf(eagerRaw);
    const simEager = simulateSchedule(plan, { max_parallel: cap, execution: 'eager' }).makespanMs;
    const simWaves = simulateSchedule(plan, { max_parallel: cap, execution: 'waves' }).makespanMs;

    ctx.log(`deploying eager (simulated ${simEager} ms)`);
    const eager = await ctx.deploy(eagerRaw);
    expectSucceeded(eager, 'the eager deployment');
    ctx.log(`deploying waves (simulated ${simWaves} ms)`);
    const waves = await ctx.deploy(wavesRaw);
    expectSucceeded(waves, 'the waves deployment');

    // No noise in a simulation: eager should never lose to waves there (greedy list scheduling
    // can, in principle: Graham's anomalies, so the worst case is worth printing).
    const cases = sweep(ctx.smoke).map((s) => {
      const p = planOf(manifestFor(s));
      const e = simulateSchedule(p, { max_parallel: s.strategy.max_parallel, execution: 'eager' }).makespanMs;
      const w = simulateSchedule(p, { max_parallel: s.strategy.max_parallel, execution: 'waves' }).makespanMs;
      return { seed: s.seed, recipe: s.recipe, maxParallel: s.strategy.max_parallel, eagerMs: e, wavesMs: w, eagerOverWaves: e / w };
    });
    const worst = cases.reduce((a, b) => (b.eagerOverWaves > a.eagerOverWaves ? b : a));
    const speedups = cases.map((c) => c.wavesMs / c.eagerMs).sort((a, b) => a - b);

    return {
      figures: [
        figure('2.speedup', 'eager speedup over waves, real runs (waves wall ÷ eager wall)', waves.wallMs / eager.wallMs, '×', { op: '>=', value: 1.3 }),
        figure('2.sim_speedup', 'the same in simulation (zero overhead)', simWaves / simEager, '×'),
        figure(
          '2.sweep_worst',
          `simulation, ${cases.length} generated DAGs: worst eager ÷ waves makespan`,
          worst.eagerOverWaves,
          '×',
          { op: '<=', value: 1 },
          `seed ${worst.seed}`,
        ),
        figure('2.sweep_median_speedup', 'simulation, generated DAGs: median speedup of eager', speedups[Math.floor(speedups.length / 2)], '×'),
      ],
      details: {
        recipe: shape.recipe,
        eager: { wallMs: eager.wallMs, workflowId: eager.handle.workflowId, runId: eager.runId, simulatedMs: simEager },
        waves: { wallMs: waves.wallMs, workflowId: waves.handle.workflowId, runId: waves.runId, simulatedMs: simWaves },
        sweepSeeds: cases.map((c) => c.seed),
        worst,
        sweep: cases.map(({ recipe: _recipe, ...c }) => c),
      },
    };
  },
};
