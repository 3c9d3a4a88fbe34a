/**
 * Publishing a task's result: the JSON at `tasks:result:<id>` and the same JSON on `tasks:results`,
 * in one MULTI so a reader never sees one without the other. Idempotent for the key (a repeat
 * writes the same value); the channel is at-least-once (a retry after a lost reply repeats the
 * message): the key is the record, the channel the notification.
 */
import type { IngressResult } from '../api/ingress';
import type { Redis } from './redis';

export interface ResultTarget {
  resultKey: string;
  channel: string;
}

export async function publishResult(redis: Redis, target: ResultTarget, result: IngressResult): Promise<void> {
  const json = JSON.stringify(result);
  await redis.multi().set(target.resultKey, json).publish(target.channel, json).exec();
}
