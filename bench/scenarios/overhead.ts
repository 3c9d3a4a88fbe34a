/**
 * 3. Orchestration overhead: a chain of no-op services (each waits 1 ms in the simulated cloud,
 * through the normal child workflow, activities and HTTP call). Nothing runs in parallel, so
 * every millisecond beyond the services' own durations is Tugboat's (and Temporal's).
 *
 * Per service, from the parent's history: overhead_i = (end_i − end_{i−1}) − duration_i, where
 * end_i is the ChildWorkflowExecutionCompleted event of service i and end_{−1} the parent's
 * WorkflowExecutionStarted (so the first service also carries the deployment's prologue).
 */
import { childrenByService, childTimes, eventMs, historyBreakdown, percentile, runChain, summarizeBreakdowns, sum } from '../lib/history';
import type { Scenario } from '../lib/types';
import { deploymentRef, expectSucceeded, figure, planOf } from './common';
import { manifestFor, noopChain } from './shapes';

export const scenario: Scenario = {
  id: '3',
  title: 'Orchestration overhead (chain of no-ops)',
  async run(ctx) {
    const shape = noopChain(ctx.smoke);
    const raw = manifestFor(shape, `${shape.name}-overhead`);
    const plan = planOf(raw);
    const n = plan.order.length;
    ctx.log(`deploying a chain of ${n} no-op services`);
    const outcome = await ctx.deploy(raw);
    expectSucceeded(outcome, 'the chain');

    const runs = await runChain(ctx.client, outcome.handle.workflowId, outcome.runId);
    const children = childrenByService(childTimes(runs.map((r) => r.history)));
    const startedMs = eventMs(runs[0].history.events![0]);
    const rows = plan.order.map((name) => {
      const child = children.get(name);
      if (!child?.closedMs || child.initiatedMs === undefined || child.startedMs === undefined) {
        throw new Error(`no completed child workflow for ${name} in the parent's history`);
      }
      return { name, durationMs: plan.durationMs[name], initiatedMs: child.initiatedMs, startedMs: child.startedMs, closedMs: child.closedMs };
    });
    const overheads: number[] = [];
    const parentDecision: number[] = [];
    const childStart: number[] = [];
    const childRun: number[] = [];
    let previousEnd = startedMs;
    for (const row of rows) {
      overheads.push(row.closedMs - previousEnd - row.durationMs);
      parentDecision.push(row.initiatedMs - previousEnd);
      childStart.push(row.startedMs - row.initiatedMs);
      childRun.push(row.closedMs - row.startedMs - row.durationMs);
      previousEnd = row.closedMs;
    }
    // Inside the children and the parent: workflow tasks and activities, p50 (durations included in apply's time).
    const childBreakdowns = [];
    for (const row of rows) childBreakdowns.push(historyBreakdown((await ctx.history({ workflowId: children.get(row.name)!.workflowId })).history));
    const mean = (outcome.wallMs - sum(rows.map((r) => r.durationMs))) / n;

    return {
      figures: [
        figure('3.overhead_p50_ms', 'overhead per service, p50', percentile(overheads, 50), 'ms', { op: '<=', value: 100 }),
        figure('3.overhead_p95_ms', 'overhead per service, p95', percentile(overheads, 95), 'ms'),
        figure('3.overhead_mean_ms', '(makespan − Σ durations) ÷ services', mean, 'ms'),
      ],
      details: {
        deployment: deploymentRef(outcome, n),
        recipe: shape.recipe,
        wallMs: outcome.wallMs,
        sumDurationsMs: sum(rows.map((r) => r.durationMs)),
        // Where each service's overhead goes (p50s): the parent deciding the next start after the
        // previous child closed, the server starting the child, and the child's own run beyond its duration.
        breakdownP50Ms: {
          parentToInitiated: percentile(parentDecision, 50),
          initiatedToChildStarted: percentile(childStart, 50),
          childRunBeyondDuration: percentile(childRun, 50),
        },
        children: summarizeBreakdowns(childBreakdowns),
        parent: summarizeBreakdowns(runs.map((r) => historyBreakdown(r.history))),
        overheadsMs: overheads,
      },
    };
  },
};
