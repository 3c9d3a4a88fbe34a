import type { Command } from 'commander';
import { planToJson, renderPlan } from '../../plan';
import { loadAndPlan } from '../manifest-input';
import { loadLearnedHistory } from '../../client/learned-durations';
import { planDiffOutput } from '../../client/plan-diff';

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('Validate a manifest and show its waves, critical path and lower bound. Touches nothing.')
    .argument('<manifest>', 'deployment manifest (YAML or JSON)')
    .option('--json', 'print the plan as JSON: {"services","waves","critical_path",…}')
    .option('--diff', 'instead, show what a deploy would change against the live state: + create, ~ update, = unchanged, - no longer in the manifest (reads the state store, TUGBOAT_STATE or TUGBOAT_HOME/state, and the simulated cloud; writes nothing)')
    .addHelpText(
      'after',
      '\nExamples:\n  tugboat plan examples/ecommerce.yaml\n  tugboat plan examples/ecommerce.yaml --json | jq .waves\n  tugboat plan --diff examples/ecommerce.yaml\n\nExit codes: 0 valid, 2 invalid (every problem listed with its path and a fix).',
    )
    .action(async (path: string, opts: { json?: boolean; diff?: boolean }) => {
      const { manifest, plan } = await loadAndPlan(path);
      if (opts.diff) {
        process.stdout.write(`${await planDiffOutput(path, manifest, plan.order, opts.json === true)}\n`);
        return;
      }
      // Durations learned from this environment's past runs (the state store TUGBOAT_STATE names), when it has any.
      const history = await loadLearnedHistory(manifest.deployment.name, manifest.deployment.environment).catch((err: Error) => {
        process.stderr.write(`note: past durations not read: ${err.message}\n`);
        return undefined;
      });
      process.stdout.write(opts.json ? `${JSON.stringify(planToJson(plan, history))}\n` : `${renderPlan(manifest, plan, history)}\n`);
    });
}
