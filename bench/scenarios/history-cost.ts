/**
 * 4. History cost: the parent workflow's history per service (events and encoded bytes, summed over
 * its runs if it continued as new) for the no-op chain (scenario 3), the skewed 200-service DAG
 * (scenario 1) and the 2,000-service run (scenario 5). Reuses those scenarios' deployments when
 * they ran in this process; deploys what is missing itself.
 */
import { runChain, sum } from '../lib/history';
import type { Scenario, ScenarioContext } from '../lib/types';
import { expectSucceeded, figure, planOf, type DeploymentRef } from './common';
import { manifestFor, noopChain, scaleDag, skewedDag, type Shape } from './shapes';

const CASES: Array<{ key: string; label: string; from: string; shape: (smoke: boolean) => Shape }> = [
  { key: 'chain', label: 'no-op chain', from: '3', shape: noopChain },
  { key: 'dag', label: 'skewed DAG', from: '1', shape: skewedDag },
  { key: 'scale', label: 'scale run', from: '5', shape: scaleDag },
];

async function deploymentFor(ctx: ScenarioContext, c: (typeof CASES)[number]): Promise<DeploymentRef & { reused: boolean }> {
  const earlier = ctx.earlier.get(c.from)?.details?.deployment as DeploymentRef | undefined;
  if (earlier) return { ...earlier, reused: true };
  const shape = c.shape(ctx.smoke);
  const raw = manifestFor(shape, `${shape.name}-history`);
  const services = planOf(raw).order.length;
  ctx.log(`scenario ${c.from} did not run here: deploying the ${c.label} (${services} services)`);
  const outcome = await ctx.deploy(raw);
  expectSucceeded(outcome, `the ${c.label}`);
  return { workflowId: outcome.handle.workflowId, runId: outcome.runId, services, wallMs: outcome.wallMs, reused: false };
}

export const scenario: Scenario = {
  id: '4',
  title: 'History cost (parent workflow)',
  async run(ctx) {
    const figures = [];
    const details: Record<string, unknown> = {
      bytes: 'sum over events of the protobuf-encoded HistoryEvent size (temporal.api.history.v1.HistoryEvent.encode)',
    };
    for (const c of CASES) {
      const ref = await deploymentFor(ctx, c);
      const runs = await runChain(ctx.client, ref.workflowId, ref.runId);
      const events = sum(runs.map((r) => r.stats.events));
      const bytes = sum(runs.map((r) => r.stats.bytes));
      figures.push(
        figure(`4.${c.key}_events_per_service`, `${c.label} (${ref.services}): parent events per service`, events / ref.services, 'events', { op: '<=', value: 8 }),
        figure(`4.${c.key}_bytes_per_service`, `${c.label} (${ref.services}): parent bytes per service`, bytes / ref.services, 'bytes'),
      );
      details[c.key] = { ...ref, events, bytes, runs: runs.map((r) => ({ runId: r.runId, events: r.stats.events, bytes: r.stats.bytes })) };
    }
    return { figures, details };
  },
};
