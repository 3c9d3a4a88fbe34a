/**
 * Finds or builds Tugboat's local tools ahead of time (npm run tools [temporal|tofu|kubernetes|kubectl|helm|kwok|all]), so the first
 * test run or `tugboat up` on a fresh machine does not stop for minutes of Go builds.
 */
import { findTemporalCli } from '../src/server/temporal-cli';
import { findHelm, findKubectl, findKubernetesTools, findKwok } from '../src/tools/kubernetes';
import { findTofu } from '../src/tools/tofu';
import type { FindToolOptions } from '../src/tools/find-tool';

const TOOLS: Record<string, (opts: FindToolOptions) => Promise<string>> = {
  temporal: findTemporalCli,
  tofu: findTofu,
  kubernetes: findKubernetesTools,
  // Each of these is also part of `kubernetes`; on their own for a worker that needs only one.
  kubectl: findKubectl,
  helm: findHelm,
  kwok: findKwok,
};
/** `all`: kubernetes covers kubectl, helm and kwok. */
const ALL = ['temporal', 'tofu', 'kubernetes'];

async function main(): Promise<void> {
  const which = process.argv[2] ?? 'all';
  const names = which === 'all' ? ALL : [which];
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
