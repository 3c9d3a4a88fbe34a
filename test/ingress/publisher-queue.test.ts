/**
 * The result publisher's queue is named after the ingress's target (Redis host:port/db and the
 * pending list), so a result is only ever published by an ingress connected to the Redis its task
 * came from; the password never reaches the name.
 */
import { ingressTarget, publisherQueueName } from '../../src/ingress/publisher-queue';

describe('publisherQueueName', () => {
  const pending = 'tasks:pending:devops';

  it('is <main>-ingress-<12 hex digits>, the same for the same Redis and list whatever the password', () => {
    const name = publisherQueueName('tugboat', 'redis://127.0.0.1:6379', pending);
    expect(name).toMatch(/^tugboat-ingress-[0-9a-f]{12}$/);
    expect(publisherQueueName('tugboat', 'redis://:s3cret@127.0.0.1:6379/0', pending)).toBe(name);
    expect(publisherQueueName('tugboat', 'rediss://user:other@127.0.0.1', pending)).toBe(name);
  });

  it('differs for another database, host, port, list or main queue', () => {
    const name = publisherQueueName('tugboat', 'redis://127.0.0.1:6379', pending);
    const others = [
      publisherQueueName('tugboat', 'redis://127.0.0.1:6379/1', pending),
      publisherQueueName('tugboat', 'redis://10.0.0.7:6379', pending),
      publisherQueueName('tugboat', 'redis://127.0.0.1:6380', pending),
      publisherQueueName('tugboat', 'redis://127.0.0.1:6379', 'team-a:pending'),
      publisherQueueName('other', 'redis://127.0.0.1:6379', pending),
    ];
    expect(new Set([name, ...others]).size).toBe(others.length + 1);
  });

  it('hashes a target that names no password', () => {
    expect(ingressTarget('redis://app:s3cret@Redis.Example.com:7000/3', 'jobs')).toBe('redis.example.com:7000/3 jobs');
  });
});
