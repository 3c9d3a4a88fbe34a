/** Placeholder: implemented by the notifications work (issue 10 §7). */
import type { NotifyInput, NotifyResult } from '../api/workflow-types';

export async function sendNotification(input: NotifyInput, _signal: AbortSignal): Promise<NotifyResult> {
  return { delivered: false, detail: `not implemented yet (${input.event})` };
}
