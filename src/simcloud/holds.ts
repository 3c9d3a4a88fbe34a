/**
 * Holds let a test freeze the world at a chosen point: while a hold on (service, op) is set,
 * matching requests block after their arrival is recorded and before their side effect, and the
 * test can see how many are blocked. Holds are runtime-only (not persisted): a restart clears them.
 */
import type { HoldInfo, HoldOp } from './types';

interface Hold {
  service: string;
  op: HoldOp;
  /** Each blocked request's "go on". */
  waiters: Set<() => void>;
}

const keyOf = (service: string, op: HoldOp) => `${service}/${op}`;

export class Holds {
  private readonly holds = new Map<string, Hold>();

  /** Setting an existing hold again keeps its waiters. */
  set(service: string, op: HoldOp): void {
    const key = keyOf(service, op);
    if (!this.holds.has(key)) this.holds.set(key, { service, op, waiters: new Set() });
  }

  /** Lets every waiter proceed and removes the hold; returns how many were released (0 if unset). */
  release(service: string, op: HoldOp): number {
    const key = keyOf(service, op);
    const hold = this.holds.get(key);
    if (!hold) return 0;
    this.holds.delete(key);
    for (const proceed of hold.waiters) proceed();
    return hold.waiters.size;
  }

  list(): HoldInfo[] {
    return [...this.holds.values()].map(({ service, op, waiters }) => ({ service, op, waiting: waiters.size }));
  }

  /** Resolves at once without a hold; otherwise when released, or rejects when `signal` aborts. */
  wait(service: string, op: HoldOp, signal: AbortSignal): Promise<void> {
    const hold = this.holds.get(keyOf(service, op));
    if (!hold) return Promise.resolve();
    signal.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      const proceed = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        hold.waiters.delete(proceed);
        reject(signal.reason);
      };
      hold.waiters.add(proceed);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Forgets all holds (reset/shutdown); their waiters are expected to be failed through their signal. */
  clear(): void {
    this.holds.clear();
  }
}
