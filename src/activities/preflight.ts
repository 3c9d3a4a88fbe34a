/**
 * The preflight: before anything is touched, check on the worker that every service can run here —
 * its executor exists, the executor's binary, modules and scripts are present, every secret
 * reference resolves — and report every problem at once, each with its path and its fix.
 */
import type { DeploymentScope } from '../api/workflow-types';
import type { ExecutorRegistry } from '../executors/registry';
import type { ServiceSpec } from '../manifest/schema';
import { findSecretReferences } from '../secrets/reference';
import { readSecret } from '../secrets/resolve';
import { deploymentRef } from './deployment-ref';

export interface PreflightInput {
  deploymentId: string;
  deployment: DeploymentScope;
  services: ServiceSpec[];
}

export interface PreflightIssue {
  /** e.g. `deployment.services[name=network].config.module` */
  path: string;
  message: string;
  fix?: string;
}

export async function runPreflight(
  executors: ExecutorRegistry,
  input: PreflightInput,
  signal: AbortSignal,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PreflightIssue[]> {
  const deployment = deploymentRef(input.deploymentId, input.deployment);
  const perService = await Promise.all(
    input.services.map(async (service): Promise<PreflightIssue[]> => {
      const at = (field: string) => `deployment.services[name=${service.name}]${field ? `.${field}` : ''}`;
      const missing = executors.whyMissing(service);
      if (missing) return [{ path: at('executor'), ...missing }];
      const issues: PreflightIssue[] = [];
      for (const { ref, path } of findSecretReferences(service.config)) {
        try {
          await readSecret(ref, env, deployment.baseDir);
        } catch (err) {
          issues.push({
            path: at(path),
            message: (err as Error).message,
            fix: ref.secret.startsWith('env:')
              ? `export ${ref.secret.slice(4)} in the worker's environment (or use { secret: file:/path })`
              : 'create the file on the worker, readable by its user',
          });
        }
      }
      const executor = executors.get(service.executor);
      for (const problem of (await executor.preflight?.({ deployment, service }, signal)) ?? []) {
        issues.push({ ...problem, path: at(problem.path) });
      }
      return issues;
    }),
  );
  return perService.flat();
}

export function formatPreflightIssues(issues: readonly PreflightIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}${i.fix ? `\n    fix: ${i.fix}` : ''}`).join('\n');
}
