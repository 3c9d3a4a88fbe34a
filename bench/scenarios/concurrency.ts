/**
 * 6. Concurrency: 20 deployments of 10 services started at once (different names, so different
 * environment locks) on the one worker. All must complete; the figure is how long workflow tasks
 * waited for the worker: WorkflowTaskScheduled → WorkflowTaskStarted over every workflow task of
 * every parent and child history.
 */
import { childTimes, percentile, runChain, workflowTaskScheduleToStartMs } from '../lib/history';
import type { Scenario } from '../lib/types';
import { figure, MB } from './common';
import { concurrentCount, concurrentDag, manifestFor } from './shapes';

export const scenario: Scenario = {
  id: '6',
  title: 'Concurrency (20 deployments × 10 services at once)',
  async run(ctx) {
    const count = concurrentCount(ctx.smoke);
    const shapes = Array.from({ length: count }, (_, i) => concurrentDag(i, ctx.smoke));
    ctx.log(`starting ${count} deployments of ${shapes[0].services.length} services at once`);
    ctx.worker.rss.reset();
    const started = Date.now();
    const settled = await Promise.allSettled(shapes.map((s) => ctx.deploy(manifestFor(s))));
    const batchMs = Date.now() - started;
    const peak = ctx.worker.rss.peakBytes();
    const outcomes = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const problems = settled.flatMap((s, i) =>
      s.status === 'rejected' ? [`${shapes[i].name}: ${(s.reason as Error)?.message ?? s.reason}`] : s.value.phase !== 'SUCCEEDED' ? [`${shapes[i].name}: ${s.value.phase}`] : [],
    );
    const succeeded = outcomes.filter((o) => o.phase === 'SUCCEEDED').length;

    const latencies: number[] = [];
    let histories = 0;
    for (const outcome of outcomes) {
      const runs = await runChain(ctx.client, outcome.handle.workflowId, outcome.runId);
      for (const run of runs) latencies.push(...workflowTaskScheduleToStartMs(run.history));
      histories += runs.length;
      for (const child of childTimes(runs.map((r) => r.history)).values()) {
        const history = await ctx.history({ workflowId: child.workflowId });
        latencies.push(...workflowTaskScheduleToStartMs(history.history));
        histories++;
      }
    }

    return {
      figures: [
        figure('6.succeeded', 'deployments that succeeded', succeeded, 'count', { op: '>=', value: count }, problems.join('; ') || undefined),
        figure('6.wft_schedule_to_start_p50_ms', 'workflow task schedule-to-start, p50', percentile(latencies, 50), 'ms'),
        figure('6.wft_schedule_to_start_p95_ms', 'workflow task schedule-to-start, p95', percentile(latencies, 95), 'ms', { op: '<', value: 1000 }),
        figure('6.slowest_wall_s', 'slowest deployment (workflow start → close)', Math.max(...outcomes.map((o) => o.wallMs)) / 1000, 's'),
      ],
      details: {
        recipes: shapes.map((s) => s.recipe),
        batchMs,
        histories,
        workflowTasks: latencies.length,
        maxScheduleToStartMs: Math.max(...latencies),
        workerPeakRssMb: peak / MB,
        walls: outcomes.map((o) => ({ workflowId: o.handle.workflowId, wallMs: o.wallMs, phase: o.phase })),
        problems,
      },
    };
  },
};
