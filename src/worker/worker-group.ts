/**
 * One Tugboat worker process polls several task queues: the SDK's Worker polls one, so this runs
 * one per queue (sharing the connection, the executors and the state store) as a single worker —
 * they start together, and when one stops (a shutdown, a fatal error) the others are stopped too,
 * so a process never keeps polling half its queues.
 */
import type { State, Worker } from '@temporalio/worker';
import type { PolledQueue } from './queues';

export interface QueueWorker {
  queue: PolledQueue;
  worker: Worker;
}

/** What runUntilSignalled, `tugboat up` and the tests need of a worker: the SDK Worker's own names. */
export interface RunnableWorker {
  run(): Promise<void>;
  shutdown(): void;
  getState(): State;
  getStatus(): { numInFlightActivities: number };
}

export class WorkerGroup implements RunnableWorker {
  constructor(readonly members: readonly QueueWorker[]) {
    if (members.length === 0) throw new Error('a worker must poll at least one task queue');
  }

  /** The queues polled, main queue first. */
  get queues(): PolledQueue[] {
    return this.members.map((m) => m.queue);
  }

  /** Runs every queue's worker until all stopped; the first fatal error stops the rest and is rethrown. */
  async run(): Promise<void> {
    const results = await Promise.allSettled(
      this.members.map(({ worker }) =>
        worker.run().catch((err: unknown) => {
          this.shutdown();
          throw err;
        }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Stops polling on every queue still running; in-flight steps get the grace period (shutdownGraceTime). */
  shutdown(): void {
    for (const { worker } of this.members) {
      if (worker.getState() === 'RUNNING') worker.shutdown();
    }
  }

  /** RUNNING while any queue's worker runs; otherwise the state of the least finished one. */
  getState(): State {
    const states = this.members.map(({ worker }) => worker.getState());
    return STATE_ORDER.find((s) => states.includes(s)) ?? states[0]!;
  }

  getStatus(): { numInFlightActivities: number } {
    return { numInFlightActivities: this.members.reduce((sum, { worker }) => sum + worker.getStatus().numInFlightActivities, 0) };
  }

  /** Runs until `work` settles, then stops and returns its result (as Worker.runUntil does). */
  async runUntil<T>(work: Promise<T>): Promise<T> {
    const running = this.run();
    const settled = work.finally(() => this.shutdown());
    const [worked, ran] = await Promise.allSettled([settled, running]);
    if (ran.status === 'rejected') throw ran.reason;
    if (worked.status === 'rejected') throw worked.reason;
    return worked.value;
  }
}

/** From most to least alive: a group is as alive as its most alive member. */
const STATE_ORDER: readonly State[] = ['RUNNING', 'INITIALIZED', 'STOPPING', 'DRAINING', 'DRAINED', 'FAILED', 'STOPPED'];
