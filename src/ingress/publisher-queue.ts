/**
 * The task queue an ingress's result publisher polls. A task's result must be written by an
 * ingress connected to the Redis the task came from: two ingresses on one main task queue but
 * different Redis servers (or databases) polling one `<main>-ingress` queue would each publish the
 * other's results into the wrong Redis. So the queue is named after the ingress's target:
 * `<main>-ingress-<hash of host:port/db and the pending list>`. Ingresses taking from the same list
 * on the same Redis share it (any of them may publish); the password never enters the name.
 */
import { createHash } from 'node:crypto';
import { INGRESS_SPECIALTY, taskQueueName } from '../api/task-queues';

/** What identifies an ingress's Redis and list: `127.0.0.1:6379/0 tasks:pending:devops`. */
export function ingressTarget(redisUrl: string, pendingKey: string): string {
  const url = new URL(redisUrl);
  const port = url.port || '6379';
  const db = url.pathname.replace(/^\//, '') || '0';
  return `${url.hostname.toLowerCase()}:${port}/${db} ${pendingKey}`;
}

export function publisherQueueName(mainQueue: string, redisUrl: string, pendingKey: string): string {
  const hash = createHash('sha256').update(ingressTarget(redisUrl, pendingKey)).digest('hex').slice(0, 12);
  return `${taskQueueName(mainQueue, INGRESS_SPECIALTY)}-${hash}`;
}
