/**
 * Stopping a worker: the grace period comes from --grace / TUGBOAT_WORKER_GRACE (30 s by default),
 * and a stop signal shuts the worker down once, saying when stopping began and when it ended.
 */
import type { Worker } from '@temporalio/worker';
import { workerSettingsFromEnv } from '../../src/worker/config';
import { runUntilSignalled } from '../../src/worker/shutdown';

describe('the worker grace period', () => {
  it('defaults to 30s and reads TUGBOAT_WORKER_GRACE as a manifest-style duration', () => {
    expect(workerSettingsFromEnv({}).shutdownGraceMs).toBe(30_000);
    expect(workerSettingsFromEnv({ TUGBOAT_WORKER_GRACE: '1.5s' }).shutdownGraceMs).toBe(1_500);
    expect(workerSettingsFromEnv({ TUGBOAT_WORKER_GRACE: '2m' }).shutdownGraceMs).toBe(120_000);
  });

  it('rejects what is not a duration, naming the setting and an example', () => {
    expect(() => workerSettingsFromEnv({ TUGBOAT_WORKER_GRACE: 'soon' })).toThrow(
      'TUGBOAT_WORKER_GRACE (--grace) is not a duration: "soon" (e.g. 30s, 2m, 500ms)',
    );
  });
});

describe('runUntilSignalled', () => {
  /** Just enough of a Worker: run() ends once shutdown() was called. */
  function fakeWorker() {
    let state = 'RUNNING';
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const shutdowns: number[] = [];
    const worker = {
      getState: () => state,
      getStatus: () => ({ numInFlightActivities: 2 }),
      shutdown: () => {
        if (state !== 'RUNNING') throw new Error('Not running');
        state = 'DRAINING';
        shutdowns.push(Date.now());
        stop();
      },
      run: () => stopped,
    };
    return { worker: worker as unknown as Worker, shutdowns };
  }

  it('shuts down once on SIGTERM, then on another signal only says it is already stopping', async () => {
    const { worker, shutdowns } = fakeWorker();
    const lines: string[] = [];
    const listenersBefore = process.listenerCount('SIGTERM');
    const running = runUntilSignalled(worker, { graceMs: 1_000, write: (l) => lines.push(l) });
    // Only our listener runs: emitting does not send a signal to the process.
    process.emit('SIGTERM');
    process.emit('SIGINT');
    await running;
    expect(shutdowns).toHaveLength(1);
    expect(lines[0]).toBe(
      'SIGTERM: worker stopping: polling no more; 2 step(s) in flight get 1.0s to finish, then are handed back to another worker (not counted as failed attempts)',
    );
    expect(lines[1]).toMatch(/^SIGINT: already stopping/);
    expect(lines[2]).toMatch(/^worker stopped cleanly after \d+\.\ds$/);
    // The handlers are gone: a later signal gets Node's default again.
    expect(process.listenerCount('SIGTERM')).toBe(listenersBefore);
  });
});
