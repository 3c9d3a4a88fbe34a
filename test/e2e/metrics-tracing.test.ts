/**
 * Tracing with OTEL_EXPORTER_OTLP_ENDPOINT: `tugboat deploy` and a `tugboat worker` send their spans
 * over OTLP/HTTP to a collector — here a small HTTP server that reads the JSON bodies — and the
 * client's span, the workflows' and each activity's are one trace. The worker bundles its workflows
 * itself, as in production, so the bundle's interceptor modules are the ones it adds.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { runCommand } from '../../src/system/process';
import { testEnv } from '../support/temporal-env';
import { spawnWorker, type WorkerProcess } from '../support/worker-process';
import { waitFor } from '../support/wait';
import { createWorld, type World } from '../support/world';

const CLI = path.resolve(__dirname, '..', '..', 'bin', 'tugboat.js');

interface ReceivedSpan {
  name: string;
  traceId: string;
  service: string;
}

/** An OTLP/HTTP collector that keeps the spans of every JSON POST to /v1/traces. */
async function startCollector() {
  const spans: ReceivedSpan[] = [];
  let posts = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        posts++;
        spans.push(...spansOf(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    posts: () => posts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface OtlpJson {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: Array<{ name: string; traceId: string }> }>;
  }>;
}

function spansOf(body: OtlpJson): ReceivedSpan[] {
  return (body.resourceSpans ?? []).flatMap((rs) => {
    const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
    return (rs.scopeSpans ?? []).flatMap((ss) => (ss.spans ?? []).map((s) => ({ name: s.name, traceId: s.traceId, service })));
  });
}

describe('tracing with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  let world: World;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    world = await createWorld('tracing', { worker: false });
    collector = await startCollector();
  });
  // The worker stops before its world (and TUGBOAT_HOME) goes away.
  afterAll(async () => {
    await worker?.process.stop({ graceMs: 5_000 });
    await collector?.close();
    await world?.close();
  });

  it('exports one trace from the deploy command through the workflow to its activities', async () => {
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '200' };
    const bundling = Date.now();
    // No pre-built bundle: the worker bundles its workflows at start.
    worker = await spawnWorker({
      taskQueue: world.taskQueue,
      simCloudUrl: world.simCloudUrl,
      home: world.stateDir,
      env: { ...otel, TUGBOAT_WORKFLOW_BUNDLE: '' },
    });
    process.stdout.write(`tracing: worker bundled its workflows and polled after ${Date.now() - bundling} ms\n`);

    const file = path.join(world.stateDir, 'traced.yaml');
    fs.writeFileSync(
      file,
      `deployment:
  name: ${world.name}
  environment: traced
  services:
    - { name: db, type: terraform, simulate: { duration: 10ms } }
    - { name: app, type: kubernetes, dependencies: [db], simulate: { duration: 10ms } }
`,
    );
    const deploy = await runCommand([process.execPath, CLI, 'deploy', file, '--json'], {
      env: { ...process.env, ...otel, TEMPORAL_ADDRESS: testEnv().address, TUGBOAT_TASK_QUEUE: world.taskQueue },
    });
    expect(deploy.code).toBe(0);
    expect(JSON.parse(deploy.stdout)).toMatchObject({ phase: 'SUCCEEDED' });

    const named = (name: string) => collector.spans.filter((s) => s.name === name);
    const expected = ['RunWorkflow:deploymentWorkflow', 'StartChildWorkflow:serviceWorkflow', 'RunWorkflow:serviceWorkflow', 'RunActivity:applyService', 'RunActivity:verifyService'];
    // Each process exports in batches, on its own schedule: wait until every expected span of the
    // deployment's trace has arrived, not only the last ones to be made.
    const traceOf = () => {
      const [start] = named('StartWorkflow:deploymentWorkflow');
      return start ? collector.spans.filter((s) => s.traceId === start.traceId) : [];
    };
    await waitFor(
      () => {
        const trace = traceOf();
        return trace.filter((s) => s.name === 'RunActivity:verifyService').length === 2 && expected.every((name) => trace.some((s) => s.name === name));
      },
      { timeoutMs: 30_000, what: 'the client\'s and the worker\'s spans of the deployment\'s trace at the collector' },
    );
    expect(named('StartWorkflow:deploymentWorkflow')).toHaveLength(1);
    const [start] = named('StartWorkflow:deploymentWorkflow');
    expect(start.service).toBe('tugboat');
    const trace = traceOf();
    const names = new Set(trace.map((s) => s.name));
    for (const name of expected) expect(names).toContain(name);
    expect(trace.filter((s) => s.name === 'RunActivity:applyService')).toHaveLength(2);
    expect(trace.find((s) => s.name === 'RunActivity:applyService')?.service).toBe('tugboat-worker');
    process.stdout.write(`tracing: ${collector.posts()} OTLP POSTs, ${collector.spans.length} spans, ${trace.length} in the deployment's trace\n`);
  });
});
