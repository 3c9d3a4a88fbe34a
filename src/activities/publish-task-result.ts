/**
 * publishTaskResult: the task workflow's last step, run by the ingress process's own activity-only
 * worker (on `<task queue>-ingress-<target hash>`, src/ingress/publisher-queue.ts), which holds the
 * Redis connection the result belongs in. Not among the deployment
 * worker's activities (src/activities/index.ts): deployment workers need no Redis. If no ingress
 * runs when a deployment ends, the activity waits in its queue until one comes back.
 */
import type { IngressResult } from '../api/ingress';
import { publishResult, type ResultTarget } from '../ingress/publish';
import type { Redis } from '../ingress/redis';

export interface PublishTaskResultInput extends ResultTarget {
  result: IngressResult;
}

export function createIngressActivities(redis: Redis) {
  return {
    async publishTaskResult(input: PublishTaskResultInput): Promise<void> {
      await publishResult(redis, input, input.result);
    },
  };
}

export type IngressActivities = ReturnType<typeof createIngressActivities>;
