/**
 * The worker's queue flags (--queues, --rate, --metrics and their variables), the shape of
 * `tugboat workers`' view and the worker group that polls several queues as one worker: pure, no
 * server. The last block runs the built CLI: bad flags are refused (exit 2) before it connects.
 */
import path from 'node:path';
import { msNumberToTs } from '@temporalio/common/lib/time';
import type { State } from '@temporalio/worker';
import { DEFAULT_SPECIALTIES } from '../../src/api/task-queues';
import { pollerView, queueView, startWorkerCommand, STALE_POLLER_MS } from '../../src/client/workers';
import { renderWorkers } from '../../src/cli/commands/workers';
import { startLines } from '../../src/cli/commands/worker';
import { parseMetricsAddress, workerSettingsFromEnv } from '../../src/worker/config';
import { applyRates, defaultQueueSelection, parseQueues, polledQueues, queueSelectionFromEnv, WorkerSettingsError } from '../../src/worker/queues';
import { WorkerGroup, type QueueWorker } from '../../src/worker/worker-group';
import { runCommand } from '../../src/system/process';

describe('--queues (TUGBOAT_QUEUES)', () => {
  it('defaults to the main queue and every default specialty, so one worker runs everything', () => {
    expect(queueSelectionFromEnv({}).map((q) => q.specialty)).toEqual(['main', ...DEFAULT_SPECIALTIES]);
    expect(DEFAULT_SPECIALTIES).toEqual(expect.arrayContaining(['shell', 'infra', 'http', 'kubernetes']));
    expect(workerSettingsFromEnv({}).queues).toEqual(defaultQueueSelection());
  });

  it('reads specialties with optional caps on concurrent steps', () => {
    expect(parseQueues('infra=4, shell ,main')).toEqual([
      { specialty: 'infra', maxConcurrentActivities: 4 },
      { specialty: 'shell' },
      { specialty: 'main' },
    ]);
    expect(queueSelectionFromEnv({ TUGBOAT_QUEUES: 'gpu=1' })).toEqual([{ specialty: 'gpu', maxConcurrentActivities: 1 }]);
  });

  it.each([
    ['GPU', /"GPU" is not a queue name: lowercase letters, digits and hyphens.*e\.g\. --queues infra=4,shell/],
    ['infra,,shell', /--queues \(TUGBOAT_QUEUES\) has an empty entry in "infra,,shell"/],
    ['infra=0', /the cap of "infra" must be a whole number of concurrent steps, 1 or more \(got "0"/],
    ['infra=2.5', /the cap of "infra" must be a whole number/],
    ['infra=', /the cap of "infra" must be a whole number/],
    ['infra=2=3', /"infra=2=3" has more than one "="/],
    ['shell,shell', /names "shell" twice/],
  ])('refuses %j, naming the flag and an example', (text, message) => {
    expect(() => parseQueues(text)).toThrow(WorkerSettingsError);
    expect(() => parseQueues(text)).toThrow(message);
  });
});

describe('--rate (TUGBOAT_QUEUE_RATES)', () => {
  const queues = parseQueues('main,infra,shell');

  it('sets one queue\'s server-side rate, or every polled queue\'s with a bare number', () => {
    expect(applyRates(queues, 'infra=2,shell=0.5')).toEqual([
      { specialty: 'main' },
      { specialty: 'infra', activitiesPerSecond: 2 },
      { specialty: 'shell', activitiesPerSecond: 0.5 },
    ]);
    expect(applyRates(queues, '5').map((q) => q.activitiesPerSecond)).toEqual([5, 5, 5]);
    expect(queueSelectionFromEnv({ TUGBOAT_QUEUES: 'http=3', TUGBOAT_QUEUE_RATES: 'http=1' })).toEqual([
      { specialty: 'http', maxConcurrentActivities: 3, activitiesPerSecond: 1 },
    ]);
  });

  it.each([
    ['gpu=2', /limits "gpu", which this worker does not poll \(it polls main, infra, shell\); add it to --queues or drop the rate/],
    ['infra=0', /the rate of "infra" must be a number of steps per second above 0 \(got "0"; e\.g\. --rate infra=2/],
    ['fast', /the rate of every queue must be a number of steps per second above 0 \(got "fast"/],
    ['infra', /the rate of every queue must be a number/],
    ['infra=2,shell', /"shell" is not <queue>=<steps per second>/],
    ['infra=1,infra=2', /names "infra" twice/],
    ['Infra=2', /"Infra" is not a queue name/],
  ])('refuses %j', (text, message) => {
    expect(() => applyRates(queues, text)).toThrow(message);
  });
});

describe('the polled queues', () => {
  it('puts the main queue first, with the workflows; specialties are <main>-<specialty>, steps only', () => {
    expect(polledQueues('shop', parseQueues('infra=2,main'))).toEqual([
      { specialty: 'main', taskQueue: 'shop', workflows: true },
      { specialty: 'infra', taskQueue: 'shop-infra', workflows: false, maxConcurrentActivities: 2 },
    ]);
  });

  it('starts with the "worker polling" line, then one line per queue with its caps', () => {
    const lines = startLines('tugboat', polledQueues('tugboat', applyRates(parseQueues('main,infra=4'), 'infra=2')), 'on here');
    expect(lines).toEqual([
      'worker polling task queue "tugboat" on here',
      expect.stringMatching(/^ {2}task queue "tugboat" +workflows and the steps of services on the main queue$/),
      expect.stringMatching(/^ {2}task queue "tugboat-infra" +steps of "infra" services; at most 4 at once here; 2\/s for the whole queue \(server-side\)$/),
    ]);
    const specialistOnly = startLines('tugboat', polledQueues('tugboat', parseQueues('shell,http')), 'on here');
    expect(specialistOnly[0]).toBe(
      'worker polling task queues "tugboat-shell", "tugboat-http" on here; no workflows here: they run on a worker polling "tugboat"',
    );
  });
});

describe('--metrics (TUGBOAT_METRICS)', () => {
  it.each([
    ['9464', '0.0.0.0:9464'],
    [':9464', '0.0.0.0:9464'],
    ['127.0.0.1:9464', '127.0.0.1:9464'],
    ['[::1]:9464', '[::1]:9464'],
  ])('reads %j as %j', (text, address) => {
    expect(parseMetricsAddress(text)).toBe(address);
  });

  it.each(['localhost:9464', '9464x', '0', '70000', 'http://0.0.0.0:9464'])('refuses %j with an example', (text) => {
    expect(() => parseMetricsAddress(text)).toThrow(/TUGBOAT_METRICS \(--metrics\) is not \[ip:\]port: .*e\.g\. --metrics 9464/);
  });

  it('is unset unless asked for', () => {
    expect(workerSettingsFromEnv({}).metricsAddress).toBeUndefined();
    expect(workerSettingsFromEnv({ TUGBOAT_METRICS: '9464' }).metricsAddress).toBe('0.0.0.0:9464');
  });
});

describe("tugboat workers' view of a queue", () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  const at = (secondsAgo: number) => msNumberToTs(now - secondsAgo * 1000);

  it('says how long ago each poller polled, its rate limit (none when unlimited), and marks stale ones', () => {
    expect(pollerView({ identity: '12@a', lastAccessTime: at(12), ratePerSecond: 100_000 }, now)).toEqual({
      identity: '12@a',
      last_access_time: '2026-01-01T11:59:48.000Z',
      seconds_ago: 12,
      rate_per_second: null,
      stale: false,
    });
    expect(pollerView({ identity: '13@b', lastAccessTime: at(STALE_POLLER_MS / 1000 + 1), ratePerSecond: 2 }, now)).toMatchObject({
      rate_per_second: 2,
      stale: true,
    });
  });

  it('flags a queue with no live poller for what it carries, with the command that starts one', () => {
    const live = pollerView({ identity: '1@a', lastAccessTime: at(3) }, now);
    const stale = pollerView({ identity: '2@b', lastAccessTime: at(600) }, now);
    const base = { carries: 'x', workflow_pollers: [], activity_pollers: [] };
    expect(queueView({ ...base, specialty: 'gpu', task_queue: 'tugboat-gpu', activity_pollers: [stale] }, 'tugboat')).toMatchObject({
      polled: false,
      start_command: 'tugboat worker --queues gpu',
    });
    expect(queueView({ ...base, specialty: 'infra', task_queue: 'shop-infra', activity_pollers: [live] }, 'shop')).toMatchObject({
      polled: true,
      start_command: null,
    });
    // The main queue needs a workflow poller: activity pollers alone do not run the deployments.
    expect(queueView({ ...base, specialty: 'main', task_queue: 'shop', activity_pollers: [live] }, 'shop').start_command).toBe(
      'tugboat worker --task-queue shop --queues main',
    );
    expect(startWorkerCommand('tugboat', 'infra')).toBe('tugboat worker --queues infra');
  });

  it('renders one row per worker and queue, the unpolled queues, and the breakers', () => {
    const poller = pollerView({ identity: '42@host', lastAccessTime: at(5) }, now);
    const lines = renderWorkers({
      mainQueue: 'tugboat',
      address: '127.0.0.1:7233',
      namespace: 'default',
      now,
      queues: [
        queueView({ specialty: 'main', task_queue: 'tugboat', carries: 'workflows; steps of simulated services', workflow_pollers: [poller], activity_pollers: [poller] }, 'tugboat'),
        queueView({ specialty: 'gpu', task_queue: 'tugboat-gpu', carries: 'steps of services with task_queue: gpu', workflow_pollers: [], activity_pollers: [] }, 'tugboat'),
      ],
      state_store: '/x/state',
      breakers: [
        {
          provider: 'simcloud',
          state: 'open',
          consecutive_failures: 5,
          opened_at: '2026-01-01T11:59:50.000Z',
          retry_at: '2026-01-01T12:00:20.000Z',
          probe_since: null,
          budget: { windowStart: '2026-01-01T11:59:30.000Z', calls: 12, retries: 4, delayed: 1 },
          updated_at: '2026-01-01T11:59:50.000Z',
        },
      ],
    });
    const text = lines.join('\n');
    expect(text).toMatch(/^tugboat {2}\(workflows; steps of simulated services\)\n {2}42@host {2}workflows \+ steps +last polled 5s ago$/m);
    expect(text).toMatch(/^tugboat-gpu .*\n {2}no pollers\n {2}NO WORKER polls it: its services wait\. Start one: tugboat worker --queues gpu$/m);
    expect(text).toMatch(/circuit breakers \(state store \/x\/state\)\n.*simcloud +open +5 consecutive failures +retry at 2026-01-01T12:00:20.000Z \(in 20s\)/);
  });
});

describe('a worker polling several queues', () => {
  /** Just enough of an SDK Worker: run() ends when shutdown() is called, or fails when told to. */
  function fakeWorker() {
    let state: State = 'INITIALIZED';
    let settle!: (err?: Error) => void;
    const ended = new Promise<void>((resolve, reject) => (settle = (err) => (err ? reject(err) : resolve())));
    const worker = {
      getState: () => state,
      getStatus: () => ({ numInFlightActivities: 1 }),
      run: () => {
        state = 'RUNNING';
        return ended;
      },
      shutdown: () => {
        if (state !== 'RUNNING') throw new Error(`Not running. Current state: ${state}`);
        state = 'STOPPED';
        settle();
      },
      fail: (err: Error) => {
        state = 'FAILED';
        settle(err);
      },
    };
    return worker;
  }
  const group = (workers: Array<ReturnType<typeof fakeWorker>>) =>
    new WorkerGroup(
      workers.map((w, i) => ({ queue: polledQueues('q', parseQueues(i === 0 ? 'main' : `s${i}`))[0]!, worker: w }) as unknown as QueueWorker),
    );

  it('runs every queue, counts in-flight steps across them and stops them together', async () => {
    const workers = [fakeWorker(), fakeWorker(), fakeWorker()];
    const g = group(workers);
    const running = g.run();
    expect(g.getState()).toBe('RUNNING');
    expect(g.getStatus().numInFlightActivities).toBe(3);
    g.shutdown();
    await running;
    expect(workers.map((w) => w.getState())).toEqual(['STOPPED', 'STOPPED', 'STOPPED']);
    expect(g.getState()).toBe('STOPPED');
  });

  it('stops the other queues when one fails, and rethrows its error', async () => {
    const workers = [fakeWorker(), fakeWorker()];
    const g = group(workers);
    const running = g.run();
    workers[1]!.fail(new Error('lost the connection'));
    await expect(running).rejects.toThrow('lost the connection');
    expect(workers[0]!.getState()).toBe('STOPPED');
  });

  it('runUntil stops every queue once the work is done and returns its result', async () => {
    const workers = [fakeWorker(), fakeWorker()];
    await expect(group(workers).runUntil(Promise.resolve(7))).resolves.toBe(7);
    expect(workers.map((w) => w.getState())).toEqual(['STOPPED', 'STOPPED']);
  });
});

describe('the built CLI refuses bad queue flags before it connects (exit 2)', () => {
  const CLI = path.resolve(__dirname, '..', '..', 'bin', 'tugboat.js');
  // An address nothing listens on: a flag that slipped through would fail differently (exit 1).
  const env = { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' };

  it.each([
    [['worker', '--queues', 'Infra'], /--queues \(TUGBOAT_QUEUES\): "Infra" is not a queue name.*e\.g\. --queues infra=4,shell/],
    [['worker', '--queues', 'infra', '--rate', 'shell=2'], /--rate \(TUGBOAT_QUEUE_RATES\) limits "shell", which this worker does not poll/],
    [['worker', '--metrics', 'localhost:9464'], /--metrics\) is not \[ip:\]port/],
    [['worker', '--queues', ''], /--queues is empty/],
    [['workers', '--queue', 'GPU'], /--queue "GPU" is not a queue name.*e\.g\. tugboat workers --queue gpu/],
  ])('tugboat %j', async (args, message) => {
    const r = await runCommand([process.execPath, CLI, ...args], { env });
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(2);
  });
});
