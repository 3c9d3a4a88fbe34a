/**
 * Workflow IDs that workflow code computes too (the Redis ingress's task workflow starts the
 * deployment as its child, under the environment's lock). Pure, no Node modules: importable from
 * the workflow sandbox, the client and the CLI alike. src/client/deployment-id.ts re-exports them.
 */

/**
 * `deploy-<name>.<environment>`: the environment's lock.
 *
 * Names and environments are DNS-label-like (lowercase letters, digits and "-", see NAME_PATTERN
 * in the manifest schema), so they can never contain a ".": the dot splits the ID in exactly one
 * place and no two (name, environment) pairs share an ID. The old `deploy-<name>-<environment>`
 * used "-", which names do contain: `shop-api`→`prod` and `shop`→`api-prod` were the same lock.
 * A dot also needs no quoting in a shell, no escaping in a Web UI URL, and reads as a qualified
 * name. (Child workflow IDs are `<deploymentId>.<service>`, but they start with `dep-<digits>`,
 * never `deploy-`, so the two never meet.)
 */
export function environmentWorkflowId(name: string, environment: string): string {
  return `deploy-${name}.${environment}`;
}

/**
 * The ID deployments were started under before the dot: ambiguous (see above), so whoever looks a
 * deployment up by it must check that it really is this name and environment.
 */
export function legacyEnvironmentWorkflowId(name: string, environment: string): string {
  return `deploy-${name}-${environment}`;
}

/**
 * `ingress-<task id>`: the workflow of one Redis task. Started with REJECT_DUPLICATE, so a task
 * delivered twice (or re-driven after an ingress died) starts one deployment.
 */
export function ingressWorkflowId(taskId: string): string {
  return `ingress-${taskId}`;
}
