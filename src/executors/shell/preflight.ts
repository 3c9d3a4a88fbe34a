/**
 * Before anything is touched: every configured command's program can be started and the working
 * directory exists. (Secret references in `env` are checked by the caller.) A program, `cwd` or
 * `PATH` holding an output reference is known only when the step runs, so it is not checked here.
 */
import path from 'node:path';
import { scanExpressions } from '../../manifest/references';
import { shellConfigSchema } from './schema';
import type { ExecutorDependencies, PreflightProblem, ServiceTarget } from '../types';
import { COMMAND_NAMES, searchPath } from './command';
import { cwdProblem, isPath, programProblem } from './program';

export async function preflightProblems(deps: ExecutorDependencies, { deployment, service }: ServiceTarget): Promise<PreflightProblem[]> {
  const parsed = shellConfigSchema.safeParse(service.config);
  // plan reports the details; the preflight only must not crash on a manifest that skipped it.
  if (!parsed.success) return [{ path: 'config', message: 'not a valid shell config', fix: 'run `tugboat plan` on the manifest to see what is wrong' }];
  const config = parsed.data;
  const problems: PreflightProblem[] = [];
  const badCwd = !resolvedLater(config.cwd) && (await cwdProblem(path.resolve(deployment.baseDir, config.cwd)));
  if (badCwd) problems.push({ path: 'config.cwd', message: badCwd, fix: "create it, or set cwd to a directory relative to the manifest's" });
  const search = searchPath(deps, config);
  for (const name of COMMAND_NAMES) {
    const program = config[name]?.[0];
    if (program === undefined || resolvedLater(program) || (!isPath(program) && resolvedLater(search ?? ''))) continue;
    const problem = await programProblem(program, deployment.baseDir, search);
    if (!problem) continue;
    problems.push({
      path: `config.${name}[0]`,
      message: problem,
      fix: isPath(program)
        ? `paths are relative to the manifest's directory (${deployment.baseDir}); create the file and make it executable (chmod +x)`
        : `install ${program} on the worker, or give its path`,
    });
  }
  return problems;
}

/** Holds a `${{ … }}` output reference, which the workflow resolves just before the step. */
function resolvedLater(text: string): boolean {
  return scanExpressions(text).length > 0;
}
