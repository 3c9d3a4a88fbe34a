/**
 * 1. Makespan efficiency: the skewed 200-service DAG deployed eagerly (max_parallel 10), its wall
 * time against a zero-overhead simulation of the same policy on the same durations, and against
 * the lower bound no schedule beats. Also what longest-path-first buys over FIFO (in simulation).
 */
import { lowerBoundMs, simulateSchedule } from '../../src/plan';
import { childTimes, runChain } from '../lib/history';
import type { Scenario } from '../lib/types';
import { deploymentRef, expectSucceeded, figure, planOf } from './common';
import { manifestFor, skewedDag } from './shapes';

export const scenario: Scenario = {
  id: '1',
  title: 'Makespan efficiency (skewed DAG, eager, longest-path-first)',
  async run(ctx) {
    const shape = skewedDag(ctx.smoke);
    const strategy = { max_parallel: shape.strategy.max_parallel, execution: 'eager' as const };
    const raw = manifestFor(shape, `${shape.name}-makespan`, strategy);
    const plan = planOf(raw);
    const lpf = simulateSchedule(plan, strategy, { policy: 'longest-path-first' }).makespanMs;
    const fifo = simulateSchedule(plan, strategy, { policy: 'fifo' }).makespanMs;
    const bound = lowerBoundMs(plan, strategy.max_parallel);
    ctx.log(`${plan.order.length} services, simulated ${lpf} ms (FIFO ${fifo} ms), lower bound ${bound} ms; deploying`);

    const outcome = await ctx.deploy(raw);
    expectSucceeded(outcome, 'the skewed DAG');
    // Where the time went: the services' span (first child started → last child ended) leaves out
    // the deployment's own prologue (validation, snapshots) and epilogue (orphan check, records).
    const runs = await runChain(ctx.client, outcome.handle.workflowId, outcome.runId);
    const children = [...childTimes(runs.map((r) => r.history)).values()];
    const spanMs = Math.max(...children.map((c) => c.closedMs ?? NaN)) - Math.min(...children.map((c) => c.initiatedMs ?? NaN));

    return {
      figures: [
        figure('1.actual_over_sim', 'actual makespan ÷ zero-overhead simulation (same policy)', outcome.wallMs / lpf, '×', { op: '<=', value: 1.03 }),
        figure('1.actual_over_lower_bound', 'actual makespan ÷ max(critical path, work ÷ cap)', outcome.wallMs / bound, '×'),
        figure('1.fifo_over_lpf_sim', 'simulation: FIFO makespan ÷ longest-path-first makespan', fifo / lpf, '×'),
        figure('1.span_over_sim', 'services only (first child start → last child end) ÷ simulation', spanMs / lpf, '×'),
        figure('1.wall_s', 'actual makespan (workflow start → close)', outcome.wallMs / 1000, 's'),
      ],
      details: {
        deployment: deploymentRef(outcome, plan.order.length),
        recipe: shape.recipe,
        strategy,
        services: plan.order.length,
        simulatedLpfMs: lpf,
        simulatedFifoMs: fifo,
        lowerBoundMs: bound,
        criticalPathMs: plan.criticalPathMs,
        serialSumMs: plan.serialSumMs,
        wallMs: outcome.wallMs,
        servicesSpanMs: spanMs,
      },
    };
  },
};
