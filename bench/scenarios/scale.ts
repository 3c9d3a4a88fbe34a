/**
 * 5. Scale: 2,000 no-op services (20 layers × 100, max_parallel 100) in one deployment. Wall time,
 * the worker process's peak resident memory while it ran, and the largest history (events,
 * encoded size, largest single event) against Temporal's limits.
 */
import { eventBytes as eventSize, runChain } from '../lib/history';
import type { Scenario } from '../lib/types';
import { deploymentRef, expectSucceeded, figure, MB, planOf } from './common';
import { manifestFor, scaleDag } from './shapes';

/** Temporal's defaults: history warns at 10,240 events / 10 MB, fails at 51,200 / 50 MB; a payload may be 2 MB. */
export const HISTORY_EVENTS_LIMIT = 51_200;
export const HISTORY_MB_LIMIT = 50;
export const PAYLOAD_KB_LIMIT = 2048;

export const scenario: Scenario = {
  id: '5',
  title: 'Scale (2,000 no-op services)',
  async run(ctx) {
    const shape = scaleDag(ctx.smoke);
    const raw = manifestFor(shape, `${shape.name}-direct`);
    const plan = planOf(raw);
    ctx.log(`deploying ${plan.order.length} no-op services, max_parallel ${shape.strategy.max_parallel}`);
    const idle = ctx.worker.rss.currentBytes();
    ctx.worker.rss.reset();
    const outcome = await ctx.deploy(raw);
    const peak = ctx.worker.rss.peakBytes();
    expectSucceeded(outcome, `the ${plan.order.length}-service deployment`);

    const runs = await runChain(ctx.client, outcome.handle.workflowId, outcome.runId);
    const largest = runs.reduce((a, b) => (b.stats.events > a.stats.events ? b : a));
    let largestEvent = 0;
    for (const run of runs) {
      for (const event of run.history.events ?? []) largestEvent = Math.max(largestEvent, eventSize(event));
    }

    return {
      figures: [
        figure('5.wall_s', 'wall time (workflow start → close)', outcome.wallMs / 1000, 's', { op: '<', value: 180 }),
        figure('5.peak_rss_mb', 'worker peak RSS during the deployment (VmRSS, 200 ms samples)', peak / MB, 'MB', { op: '<=', value: 500 }),
        figure('5.worker_idle_rss_mb', 'worker RSS just before the deployment (after the scenarios before it)', idle / MB, 'MB'),
        figure('5.worker_hwm_mb', "worker VmHWM, the process's whole life so far", ctx.worker.rss.hwmBytes() / MB, 'MB'),
        figure('5.largest_history_events', 'events in the largest history (parent run)', largest.stats.events, 'events', { op: '<', value: HISTORY_EVENTS_LIMIT }),
        figure('5.largest_history_mb', 'encoded size of that history', largest.stats.bytes / MB, 'MB', { op: '<', value: HISTORY_MB_LIMIT }),
        figure('5.largest_event_kb', 'largest single event of the parent (its input, usually)', largestEvent / 1024, 'KB', { op: '<', value: PAYLOAD_KB_LIMIT }),
        figure('5.parent_runs', 'parent runs (continue-as-new)', runs.length, 'runs'),
      ],
      details: {
        deployment: deploymentRef(outcome, plan.order.length),
        recipe: shape.recipe,
        strategy: shape.strategy,
        wallMs: outcome.wallMs,
        runs: runs.map((r) => ({ runId: r.runId, events: r.stats.events, bytes: r.stats.bytes })),
        peakRssBytes: peak,
      },
    };
  },
};
