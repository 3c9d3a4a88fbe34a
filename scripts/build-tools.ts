/**
 * Finds or builds Tugboat's local tools ahead of time (npm run tools [temporal|tofu|kubernetes|all]), so the first
 * test run or `tugboat up` on a fresh machine does not stop for minutes of Go builds.
 */
import { findTemporalCli } from '../src/server/temporal-cli';
import { findKubernetesTools } from '../src/tools/kubernetes';
import { findTofu } from '../src/tools/tofu';
import type { FindToolOptions } from '../src/tools/find-tool';

const TOOLS: Record<string, (opts: FindToolOptions) => Promise<string>> = {
  temporal: findTemporalCli,
  tofu: findTofu,
  kubernetes: findKubernetesTools,
};

async function main(): Promise<void> {
  const which = process.argv[2] ?? 'all';
  const names = which === 'all' ? Object.keys(TOOLS) : [which];
  if (!names.every((name) => name in TOOLS)) {
    console.error(`usage: tsx scripts/build-tools.ts [${[...Object.keys(TOOLS), 'all'].join('|')}]`);
    process.exitCode = 2;
    return;
  }
  // Together: one tool's module downloads overlap the other's compile, and one failure does not hide the other's result.
  const results = await Promise.allSettled(names.map((name) => TOOLS[name]({ log: console.log })));
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') {
      console.log(`${names[i]}: ${result.value}`);
    } else {
      console.error(`${names[i]}: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}`);
      process.exitCode = 1;
    }
  });
}

void main();
