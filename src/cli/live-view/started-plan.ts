/**
 * What `tugboat watch` needs but the progress query does not say: the plan's dependencies and the
 * manifest's declared durations (the ETA and the live critical path), read once from the
 * deployment's start input — the first event of its history, whatever its length.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { DeploymentInput } from '../../api/workflow-types';
import { payloadValue } from '../../codec';
import { completePlan, planOrThrow } from '../../plan';
import type { LoadedManifest } from '../manifest-input';

export async function startedPlan(client: Client, handle: WorkflowHandle): Promise<Pick<LoadedManifest, 'manifest' | 'plan'> | undefined> {
  try {
    const { runId } = await handle.describe();
    const { history } = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId: handle.workflowId, runId },
      maximumPageSize: 1,
    });
    const payload = history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    if (!payload) return undefined;
    const input = await payloadValue<DeploymentInput>(client, payload);
    if (!input?.manifest?.deployment?.services) return undefined;
    const plan = (input.plan && completePlan(input.manifest, input.plan)) || planOrThrow(input.manifest);
    return { manifest: input.manifest, plan };
  } catch {
    // An input this Tugboat cannot read (a hand-started run, another version's): the view weighs
    // each wave as waiting for the one before, and knows no durations.
    return undefined;
  }
}
