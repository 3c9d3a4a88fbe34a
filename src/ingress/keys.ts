/**
 * The Redis keys one ingress works on. The pending list is configurable (`--queue-key`, so two
 * teams or two test runs never take each other's tasks); its processing list is derived from it,
 * so they always come as a pair. Results and the channel keep the contract's names (INGRESS_KEYS).
 */
import { INGRESS_KEYS } from '../api/ingress';

export interface IngressKeys {
  /** Where producers LPUSH tasks. */
  pending: string;
  /** Where a taken task stays until its workflow start is confirmed. */
  processing: string;
  /** `tasks:result:` + task ID: the result, as a JSON string. */
  resultPrefix: string;
  /** Every result is also PUBLISHed here. */
  channel: string;
}

/** `tasks:pending:devops` → `tasks:processing:devops`; a key without a `pending` segment gets `:processing` appended. */
export function processingKeyFor(pending: string): string {
  const segments = pending.split(':');
  const at = segments.indexOf('pending');
  if (at < 0) return `${pending}:processing`;
  segments[at] = 'processing';
  return segments.join(':');
}

export function ingressKeys(pending: string = INGRESS_KEYS.pending): IngressKeys {
  return { pending, processing: processingKeyFor(pending), resultPrefix: INGRESS_KEYS.resultPrefix, channel: INGRESS_KEYS.channel };
}

export function resultKey(keys: Pick<IngressKeys, 'resultPrefix'>, taskId: string): string {
  return `${keys.resultPrefix}${taskId}`;
}
