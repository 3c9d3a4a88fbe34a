/**
 * The Redis task ingress's contract (`tugboat ingress --redis …`): what a producer pushes onto
 * `tasks:pending:devops` and what it gets back at `tasks:result:<id>` and on `tasks:results`.
 * Shared by the ingress (Node), its task workflow and the result publisher.
 */

export const INGRESS_KEYS = {
  pending: 'tasks:pending:devops',
  processing: 'tasks:processing:devops',
  resultPrefix: 'tasks:result:',
  channel: 'tasks:results',
} as const;

/** A task as pushed by a producer (JSON). Exactly one of manifest / manifest_path. */
export interface IngressTask {
  /** The producer's ID: the deployment's workflow ID derives from it, so a redelivery starts nothing new. */
  id: string;
  /** The manifest itself: a YAML/JSON string or an object. */
  manifest?: unknown;
  /** Or a manifest file readable by the ingress. */
  manifest_path?: string;
  requested_by?: string;
}

export type IngressStatus = 'completed' | 'partial' | 'failed';

/** What the ingress publishes, as a JSON string, once per task. */
export interface IngressResult {
  id: string;
  status: IngressStatus;
  /** One line a person can read. */
  summary: string;
  deploymentId?: string;
  workflowId?: string;
  /** The deployment's final phase (SUCCEEDED, PARTIAL, ROLLED_BACK…), when it ran. */
  phase?: string;
  services: Record<string, { state: string; outputs: Record<string, string>; error?: string }>;
  failed: string[];
  skipped?: string[];
  /** Why it failed (a malformed task, an invalid manifest, a locked environment, the deployment's error). */
  error?: string;
  finishedAt: string;
}
