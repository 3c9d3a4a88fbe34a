/**
 * The orphan check's view of shell services: each `inventory` command prints the ids of what is
 * live. The script knows only what exists, not who made it: the service's record says which
 * deployment last applied it (after a restore, the earlier one, whose resources these are); with no
 * record left, whatever is listed is this deployment's leftover. A service without an inventory
 * command is reported as unverifiable, never clean.
 */
import type { ServiceSpec } from '../../manifest/schema';
import { PermanentDeployError } from '../errors';
import { stateKey } from '../service-record';
import type { DeploymentRef, ExecutorContext, ExecutorDependencies, InventoryItem, InventoryReport } from '../types';
import { runCommand, shellConfig, throwUnlessSucceeded } from './command';
import { MalformedScriptOutputError, parseJson, resourceListSchema } from './outputs-file';

export async function listInventory(
  deps: ExecutorDependencies,
  deployment: DeploymentRef,
  services: ServiceSpec[],
  contextFor: (service: ServiceSpec) => ExecutorContext,
): Promise<InventoryReport> {
  const items: InventoryItem[] = [];
  const unverifiable: NonNullable<InventoryReport['unverifiable']> = [];
  // One after another: inventory scripts often query the same API, and this is not on the critical path.
  for (const service of services) {
    const config = shellConfig(service);
    if (!config.inventory) {
      unverifiable.push({ service: service.name, reason: 'no inventory command' });
      continue;
    }
    const ctx = contextFor(service);
    const { result } = await runCommand(ctx, deps, config, 'inventory');
    throwUnlessSucceeded(ctx, config, 'inventory', result);
    let listed;
    try {
      listed = parseJson(result.stdout, resourceListSchema);
    } catch (err) {
      if (!(err instanceof MalformedScriptOutputError)) throw err;
      throw new PermanentDeployError(ctx.secrets.redact(`the inventory command of ${service.name} printed no usable list: ${err.message}`));
    }
    const record = await deps.serviceState.getServiceState(stateKey({ deployment, service }));
    const owner = record?.deploymentId ?? deployment.id;
    for (const r of ctx.secrets.redactDeep(listed)) items.push({ ...r, service: service.name, deploymentId: owner });
  }
  return unverifiable.length > 0 ? { items, unverifiable } : { items };
}
