/**
 * The ingress's reliable-queue loop. A task moves atomically from the pending list to the
 * processing list (BLMOVE, on a connection of its own since it blocks), and leaves the processing
 * list (LREM) only once its fate is settled: its workflow start confirmed (or known to exist
 * already), or a `failed` result published. An ingress that dies in between leaves it there: every
 * ingress re-drives the processing list when it starts, after a lost connection (a BLMOVE's reply
 * may have been lost), and every minute (a peer may have died). Re-driving is safe to repeat, even
 * for a task in another live ingress's hands: the workflow ID dedupes starts and an existing result
 * means done. An ingress stopped cleanly gives the task in hand back to the pending list.
 *
 * A task delivered again (same ID) never starts a second deployment nor overwrites the first one's
 * result, even with a changed or broken body: if `ingress-<id>` exists, the copy is a duplicate. If
 * that workflow has closed and its result key is gone, its result is published again.
 */
import type { Client } from '@temporalio/client';
import { findTaskWorkflow, isClosed, resultOfClosedTask, type ExistingTask } from './existing';
import { failedResult } from './result';
import type { IngressKeys } from './keys';
import { resultKey } from './keys';
import { prepareTask } from './prepare';
import { publishResult } from './publish';
import type { Redis } from './redis';
import { startTaskWorkflow } from './start';
import { malformedTaskId, parseTask } from './task';

/** What happened to one task: logged, and observed by tests. */
export type IngressEvent =
  | { kind: 'taken'; id: string; redriven: boolean }
  | { kind: 'started'; id: string; workflowId: string; deploymentId: string }
  /** status: the existing workflow's (RUNNING, COMPLETED…); deploymentId when its memo names it. */
  | { kind: 'duplicate'; id: string; workflowId: string; status: string; deploymentId?: string }
  /** The duplicate's workflow had closed and the result key was gone: its result was published again. */
  | { kind: 'republished'; id: string; workflowId: string; status: string }
  /** Stopped before the task was settled: moved back to the pending list (moved: false when it was gone already). */
  | { kind: 'given-back'; id: string; moved: boolean }
  /** Giving it back failed (Redis unreachable at stop): it stays in the processing list, re-driven later. */
  | { kind: 'give-back-failed'; id: string; error: string }
  | { kind: 'already-done'; id: string }
  | { kind: 'rejected'; id: string; problems: string[] }
  | { kind: 'removed'; id: string; count: number }
  | { kind: 'retrying'; id: string; error: string; inMs: number }
  /** Taking (BLMOVE) or reading the processing list failed: Redis is unreachable. */
  | { kind: 'redis-unavailable'; error: string; inMs: number }
  /** periodic: the regular look at the processing list, not a start or a reconnect. */
  | { kind: 'redrive'; count: number; periodic: boolean };

export interface LoopOptions {
  keys: IngressKeys;
  taskQueue: string;
  /** Where this ingress's result publisher polls: passed to each task workflow. */
  publisherQueue: string;
  /** Non-blocking commands (LREM, EXISTS, SET/PUBLISH). */
  redis: Redis;
  /** BLMOVE only. */
  blocking: Redis;
  client: Client;
  onEvent: (event: IngressEvent) => void;
  /** How long one BLMOVE blocks: also how long a stop may wait for it. */
  blockSeconds?: number;
  /** Test hook (TUGBOAT_INGRESS_TEST_HOLD_AFTER_TAKE): after taking a task, wait until stopped. */
  holdAfterTake?: boolean;
  /** How often the processing list is re-driven while running (default REDRIVE_EVERY_MS). */
  redriveEveryMs?: number;
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;
/**
 * A task a dead ingress left in the processing list waits at most this long for a live one. Each
 * look costs an LRANGE, plus a start (answered "duplicate") for a task a peer has in hand.
 */
export const REDRIVE_EVERY_MS = 60_000;

/** Back to the pending list's taking end, only if still in processing: atomic, so a task is never in both or neither. */
const GIVE_BACK_SCRIPT = `if redis.call('LREM', KEYS[1], 1, ARGV[1]) > 0 then redis.call('RPUSH', KEYS[2], ARGV[1]) return 1 end return 0`;

export class IngressLoop {
  private stopping = false;
  private wakeStop!: () => void;
  private readonly stopped = new Promise<void>((resolve) => (this.wakeStop = resolve));
  private redriveNeeded = true;
  private lastRedriveAt = 0;

  constructor(private readonly opts: LoopOptions) {}

  /** Takes and handles tasks until stop(); finishes the task in hand first. */
  async run(): Promise<void> {
    const { keys, blocking } = this.opts;
    while (!this.stopping) {
      const periodic = !this.redriveNeeded && Date.now() - this.lastRedriveAt >= (this.opts.redriveEveryMs ?? REDRIVE_EVERY_MS);
      if (this.redriveNeeded || periodic) {
        this.redriveNeeded = false;
        if (!(await this.redrive(periodic))) continue;
      }
      let raw: string | null;
      try {
        raw = await blocking.blMove(keys.pending, keys.processing, 'RIGHT', 'LEFT', this.opts.blockSeconds ?? 1);
      } catch (err) {
        if (this.stopping) break;
        // The move may have happened with its reply lost: look at the processing list again.
        this.redriveNeeded = true;
        this.opts.onEvent({ kind: 'redis-unavailable', error: message(err), inMs: RETRY_MIN_MS * 4 });
        await this.pause(RETRY_MIN_MS * 4);
        continue;
      }
      if (raw !== null) await this.settle(raw, false);
    }
  }

  stop(): void {
    this.stopping = true;
    this.wakeStop();
  }

  /** Everything left in the processing list, oldest first. False when Redis could not be read (tried again). */
  private async redrive(periodic: boolean): Promise<boolean> {
    let left: string[];
    try {
      left = await this.opts.redis.lRange(this.opts.keys.processing, 0, -1);
    } catch (err) {
      this.redriveNeeded = true;
      this.opts.onEvent({ kind: 'redis-unavailable', error: message(err), inMs: RETRY_MIN_MS * 4 });
      await this.pause(RETRY_MIN_MS * 4);
      return false;
    }
    this.lastRedriveAt = Date.now();
    if (left.length > 0) this.opts.onEvent({ kind: 'redrive', count: left.length, periodic });
    // LPUSH/BLMOVE…LEFT put the newest first.
    for (const raw of left.reverse()) {
      if (this.stopping) break;
      await this.settle(raw, true);
    }
    return true;
  }

  /**
   * Handles one raw task until its fate is settled, backing off while Temporal or Redis is
   * unreachable; stopped before that, gives it back to the pending list.
   */
  private async settle(raw: string, redriven: boolean): Promise<void> {
    const parsed = parseTask(raw);
    this.opts.onEvent({ kind: 'taken', id: parsed.id, redriven });
    if (this.opts.holdAfterTake) await this.stopped;
    for (let delay = RETRY_MIN_MS; !this.stopping; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
      try {
        await this.handle(raw, parsed);
        return;
      } catch (err) {
        this.opts.onEvent({ kind: 'retrying', id: parsed.id, error: message(err), inMs: delay });
        await this.pause(delay);
      }
    }
    await this.giveBack(raw, parsed.id);
  }

  /**
   * Unsettled at stop: back to the pending list, so a running ingress takes it now rather than at
   * its next re-drive. Safe whatever was done already: a start is deduped, a result checked first.
   */
  private async giveBack(raw: string, id: string): Promise<void> {
    const { redis, keys, onEvent } = this.opts;
    try {
      const moved = await redis.eval(GIVE_BACK_SCRIPT, { keys: [keys.processing, keys.pending], arguments: [raw] });
      onEvent({ kind: 'given-back', id, moved: moved === 1 });
    } catch (err) {
      onEvent({ kind: 'give-back-failed', id, error: message(err) });
    }
  }

  private async handle(raw: string, parsed: ReturnType<typeof parseTask>): Promise<void> {
    const { redis, keys, onEvent } = this.opts;
    const id = parsed.id;
    const target = { resultKey: resultKey(keys, id), channel: keys.channel };
    if ((await redis.exists(target.resultKey)) > 0) {
      onEvent({ kind: 'already-done', id });
      return this.remove(raw, id);
    }
    // The task's own ID (not malformed-<hash>): a workflow may exist for it.
    const ownId = id !== malformedTaskId(raw);
    const reject = async (problems: string[]) => {
      // A redelivery with a changed body must not overwrite the result of the deployment its ID started.
      const existing = ownId ? await findTaskWorkflow(this.opts.client, id) : undefined;
      if (existing) return this.duplicate(raw, id, target, existing);
      await publishResult(redis, target, failedResult(id, problems.join('\n'), new Date().toISOString()));
      onEvent({ kind: 'rejected', id, problems });
      await this.remove(raw, id);
    };
    if (!parsed.ok) return reject(parsed.problems);
    const prepared = await prepareTask(parsed.task);
    if (!prepared.ok) return reject(prepared.problems);
    const { taskQueue, publisherQueue, client } = this.opts;
    const outcome = await startTaskWorkflow(client, { taskQueue, publisherQueue, task: parsed.task, prepared, publish: target });
    if (outcome.kind === 'refused') return reject([outcome.reason]);
    if (outcome.kind === 'duplicate') {
      const existing = await findTaskWorkflow(client, id);
      // Gone between the start and the look (retention): tried again, and then it starts.
      if (!existing) throw new Error(`workflow ${outcome.workflowId} refused a start as a duplicate, then was not found`);
      return this.duplicate(raw, id, target, existing);
    }
    onEvent({ ...outcome, id });
    await this.remove(raw, id);
  }

  /** The ID has a workflow: nothing new starts; a closed one whose result key is gone has its result published again. */
  private async duplicate(raw: string, id: string, target: { resultKey: string; channel: string }, existing: ExistingTask): Promise<void> {
    const { redis, client, onEvent } = this.opts;
    const { workflowId, status } = existing;
    onEvent({ kind: 'duplicate', id, workflowId, status, ...(existing.deployment ? { deploymentId: existing.deployment.deploymentId } : {}) });
    // The key was missing when handle() began; a workflow that closed since published its own.
    if (isClosed(existing) && (await redis.exists(target.resultKey)) === 0) {
      await publishResult(redis, target, await resultOfClosedTask(client, id, existing));
      onEvent({ kind: 'republished', id, workflowId, status });
    }
    await this.remove(raw, id);
  }

  private async remove(raw: string, id: string): Promise<void> {
    // One occurrence: a task pushed twice is two items, each settled (and removed) on its own.
    const count = await this.opts.redis.lRem(this.opts.keys.processing, 1, raw);
    this.opts.onEvent({ kind: 'removed', id, count });
  }

  private pause(ms: number): Promise<void> {
    return Promise.race([this.stopped, new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
