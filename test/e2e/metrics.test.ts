/**
 * `tugboat worker --metrics`: a worker process serves Prometheus metrics while it runs a deployment
 * — Temporal's own worker metrics and Tugboat's (deployments by phase, step durations by executor
 * and outcome, retries, rollback duration) on one endpoint — read with a Prometheus text parser,
 * during the deployment and after it.
 */
import { freePort } from '../../src/server/dev-server';
import type { ServiceInput } from '../../src/manifest/schema';
import { failedResult } from '../support/failures';
import { spawnWorker, type WorkerProcess } from '../support/worker-process';
import { waitFor } from '../support/wait';
import { createWorld, type World } from '../support/world';

/** What parse-prometheus-text-format returns (it ships no types). */
interface MetricFamily {
  name: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Array<{ value?: string; labels?: Record<string, string> }>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parsePrometheusTextFormat = require('parse-prometheus-text-format') as (text: string) => MetricFamily[];

/** One scrape, as Prometheus reads it. */
class Scrape {
  constructor(
    readonly families: MetricFamily[],
    /**
     * The same page with histograms read as their plain _bucket/_sum/_count series: the parser keeps
     * the labels of counters and gauges but folds a labelled histogram into one unlabelled sample.
     */
    private readonly series: MetricFamily[],
  ) {}

  family(name: string): MetricFamily | undefined {
    return this.families.find((f) => f.name === name);
  }

  /** The sum of a series' values over the samples whose labels include `labels`. */
  sum(name: string, labels: Record<string, string> = {}): number {
    // A histogram's series come label set by label set, so one name makes several untyped families.
    return this.series
      .filter((f) => f.name === name)
      .flatMap((f) => f.metrics)
      .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
      .reduce((total, m) => total + Number(m.value ?? 0), 0);
  }
}

async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  const text = await response.text();
  const untypedHistograms = text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped');
  return new Scrape(parsePrometheusTextFormat(text), parsePrometheusTextFormat(untypedHistograms));
}

/** Polls the endpoint until `ready` holds for a scrape (metrics are exported as they are recorded). */
function scrapeUntil(url: string, ready: (s: Scrape) => boolean, what: string): Promise<Scrape> {
  return waitFor(
    async () => {
      const s = await scrape(url);
      return ready(s) ? s : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, what },
  );
}

describe('tugboat worker --metrics', () => {
  let world: World;
  let worker: WorkerProcess | undefined;
  let metricsUrl = '';

  beforeAll(async () => {
    world = await createWorld('metrics', { worker: false });
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    worker = await spawnWorker({
      taskQueue: world.taskQueue,
      simCloudUrl: world.simCloudUrl,
      home: world.stateDir,
      args: ['--metrics', `127.0.0.1:${port}`],
    });
  });
  // The worker stops before its world (and TUGBOAT_HOME) goes away.
  afterAll(async () => {
    await worker?.process.stop({ graceMs: 5_000 });
    await world?.close();
  });

  it('serves Temporal\'s worker metrics and Tugboat\'s during and after a deployment', async () => {
    const services: ServiceInput[] = [
      { name: 'db', type: 'terraform', simulate: { duration: '10ms' } },
      // Fails once, then succeeds: one retry.
      {
        name: 'api',
        type: 'kubernetes',
        dependencies: ['db'],
        retry: { max_attempts: 3, initial_interval: '100ms' },
        simulate: { duration: '10ms', fail_transient: 1 },
      },
      { name: 'web', type: 'kubernetes', dependencies: ['api'], simulate: { duration: '10ms' } },
    ];
    const started = Date.now();
    const { handle } = await world.startHeld('web', 'apply', () => world.deploy(world.manifest(services, { environment: 'scraped' })));

    // During: web's apply is held, db and api are done.
    const during = await scrapeUntil(
      metricsUrl,
      (s) => s.sum('tugboat_step_duration_seconds_count', { executor: 'simulated', step: 'verify', outcome: 'ok' }) >= 2,
      'the verify steps of db and api in the step duration histogram',
    );
    expect(during.family('temporal_worker_task_slots_available')?.type).toBe('GAUGE');
    expect(during.sum('temporal_worker_task_slots_available', { worker_type: 'ActivityWorker' })).toBeGreaterThan(0);
    // Tugboat's metrics carry the SDK's own tags (camelCase), Temporal's carry snake_case labels.
    expect(during.sum('tugboat_deployments_started_total', { workflowType: 'deploymentWorkflow' })).toBe(1);
    expect(during.sum('tugboat_deployments_total')).toBe(0);
    expect(during.family('tugboat_step_duration_seconds')?.type).toBe('HISTOGRAM');

    await world.cloud.release('web', 'apply');
    expect((await handle.result()).phase).toBe('SUCCEEDED');

    const after = await scrapeUntil(
      metricsUrl,
      (s) => s.sum('tugboat_deployments_total', { phase: 'SUCCEEDED' }) >= 1,
      'the SUCCEEDED deployment to be counted',
    );
    process.stdout.write(`metrics: deployment to counted SUCCEEDED on /metrics: ${Date.now() - started} ms\n`);
    const steps = (labels: Record<string, string>) => after.sum('tugboat_step_duration_seconds_count', { executor: 'simulated', ...labels });
    expect(steps({ step: 'apply', outcome: 'ok' })).toBe(services.length);
    expect(steps({ step: 'verify', outcome: 'ok' })).toBe(services.length);
    expect(steps({ step: 'apply', outcome: 'failed' })).toBe(1);
    expect(after.sum('tugboat_step_retries_total', { executor: 'simulated', step: 'apply' })).toBe(1);
    // The tags the SDK adds to every activity's metrics: which queue ran the step.
    expect(after.sum('tugboat_step_duration_seconds_count', { taskQueue: world.taskQueue, activityType: 'applyService' })).toBe(services.length + 1);
    // The held apply took a while: its duration is in the sum, in seconds.
    expect(after.sum('tugboat_step_duration_seconds_sum', { step: 'apply' })).toBeGreaterThan(0);
    // Temporal's own: the activities it ran, and the workflow it completed.
    expect(after.sum('temporal_activity_execution_latency_count', { activity_type: 'applyService' })).toBe(services.length + 1);
    expect(after.sum('temporal_workflow_completed', { workflow_type: 'deploymentWorkflow' })).toBe(1);
  });

  it('counts a rolled-back deployment by its phase and times its rollback', async () => {
    const services: ServiceInput[] = [
      { name: 'net', type: 'terraform', simulate: { duration: '10ms' } },
      { name: 'app', type: 'kubernetes', dependencies: ['net'], simulate: { duration: '10ms', fail_permanent: true } },
    ];
    const { handle } = await world.deploy(world.manifest(services, { environment: 'rolled-back' }));
    const { result } = await failedResult(handle.result());
    expect(result.phase).toBe('ROLLED_BACK');

    const after = await scrapeUntil(
      metricsUrl,
      (s) => s.sum('tugboat_deployments_total', { phase: 'ROLLED_BACK' }) >= 1,
      'the ROLLED_BACK deployment to be counted',
    );
    expect(after.sum('tugboat_rollback_duration_seconds_count', { phase: 'ROLLED_BACK', workflowType: 'deploymentWorkflow' })).toBe(1);
    expect(after.sum('tugboat_step_duration_seconds_count', { executor: 'simulated', step: 'compensate', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(after.sum('tugboat_step_duration_seconds_count', { executor: 'simulated', step: 'apply', outcome: 'failed' })).toBeGreaterThanOrEqual(2);
    // Started − ended: nothing is running any more.
    expect(after.sum('tugboat_deployments_started_total')).toBe(after.sum('tugboat_deployments_total'));
  });
});
