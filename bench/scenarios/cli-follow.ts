/**
 * 8. The user's view: the real CLI (`node bin/tugboat.js deploy <file>`, spawned, stdout not a
 * terminal so it prints plain lines) following the 2,000-service deployment to its end. Its wall
 * time (spawn → exit: start-up, plan, preflight, start, following, final status) beside the
 * workflow's own; and the workflow's wall beside scenario 5's unfollowed one, since following
 * (queries, history polling) must not slow the deployment down. A failing CLI is a failed figure
 * with its stderr, never a crash of the runner.
 */
import type { Scenario } from '../lib/types';
import { expectSucceeded, figure, planOf, type DeploymentRef } from './common';
import { manifestFor, scaleDag } from './shapes';

export const scenario: Scenario = {
  id: '8',
  title: "The user's view (tugboat deploy following the 2,000-service deployment)",
  async run(ctx) {
    const shape = scaleDag(ctx.smoke);
    let baseline = (ctx.earlier.get('5')?.details?.deployment as DeploymentRef | undefined)?.wallMs;
    if (baseline === undefined) {
      const raw = manifestFor(shape, `${shape.name}-baseline`);
      ctx.log(`scenario 5 did not run here: deploying the ${planOf(raw).order.length} services once without following, as the baseline`);
      const unfollowed = await ctx.deploy(raw);
      expectSucceeded(unfollowed, 'the unfollowed baseline');
      baseline = unfollowed.wallMs;
    }

    const raw = manifestFor(shape, `${shape.name}-cli`);
    ctx.log(`tugboat deploy (spawned, following) of ${planOf(raw).order.length} services`);
    const outcome = await ctx.deploy(raw, { follow: true });
    const cli = outcome.cli!;
    const cliNote = cli.code === 0 ? undefined : `exit ${cli.code ?? cli.signal}; stderr: ${cli.stderrTail.trim() || '(empty)'}; stdout ends: ${cli.stdoutTail.trim()}`;
    const workflowNote = outcome.phase === 'SUCCEEDED' ? undefined : `the deployment ended ${outcome.phase}`;

    return {
      figures: [
        figure('8.cli_exit_code', 'tugboat deploy exit code', cli.code ?? NaN, '', { op: '<=', value: 0 }, cliNote),
        figure('8.cli_wall_s', 'tugboat deploy wall time (spawn → exit)', cli.wallMs / 1000, 's'),
        figure('8.workflow_wall_s', "the workflow's own wall time", outcome.wallMs / 1000, 's', undefined, workflowNote),
        figure('8.cli_over_workflow', 'CLI wall ÷ workflow wall', cli.wallMs / outcome.wallMs, '×'),
        figure('8.followed_over_unfollowed', 'followed workflow wall ÷ unfollowed (scenario 5)', outcome.wallMs / baseline, '×', { op: '<=', value: 1.1 }),
      ],
      details: {
        deployment: { workflowId: outcome.handle.workflowId, runId: outcome.runId, runs: outcome.runs, phase: outcome.phase },
        cli,
        baselineWallMs: baseline,
      },
    };
  },
};
