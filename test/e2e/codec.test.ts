/**
 * Payload encryption against the suite's real dev server: a worker and a client with keys run a
 * deployment whose history holds neither the manifest's values nor the outputs in plain text, yet
 * the client reads progress and the result; a client without the keys cannot. The codec server
 * (in-process here; the command itself in codec-web-ui.test.ts) decodes what the worker encoded,
 * with CORS for the listed origins only, the bearer token enforced and bad bodies refused.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection } from '@temporalio/worker';
import { progressQuery } from '../../src/api/messages';
import type { DeploymentResult } from '../../src/api/progress';
import { connectClient } from '../../src/client/connection';
import { startDeployment } from '../../src/client/deployments';
import { recordedDeployment } from '../../src/client/status';
import { AesGcmCodec, codecKeysFromEnv, decodeHistoryJson, encryptingDataConverter, ENCRYPTED_ENCODING, hasEncryptedPayloads } from '../../src/codec';
import { payloadToJson } from '../../src/codec/payload-bytes';
import { startCodecServer, type RunningCodecServer } from '../../src/codec/server';
import { createTugboatWorker, type WorkerGroup } from '../../src/worker';
import { testEnv, workflowBundle } from '../support/temporal-env';
import { useWorld } from '../support/world';

const keys = codecKeysFromEnv({ TUGBOAT_CODEC_KEYS: `e2e-current:${crypto.randomBytes(32).toString('base64')}` })!;
const codec = new AesGcmCodec(keys);
/** In no workflow ID, name or type: only the manifest carries it. */
const MARKER = `codec-marker-${crypto.randomBytes(6).toString('hex')}`;
const TOKEN = crypto.randomBytes(16).toString('hex');
const UI_ORIGIN = 'http://ui.codec-test.example:8233';

describe('encrypted payloads', () => {
  const world = useWorld('codec', { worker: false });
  let connection: NativeConnection;
  let clientConnection: Connection;
  let worker: { group: WorkerGroup; running: Promise<void> } | undefined;
  let client: Client;
  let server: RunningCodecServer;
  let handle: WorkflowHandle;
  let result: DeploymentResult;
  /** Every history of the deployment (parent and children), as historyToJSON writes them. */
  let histories: Array<{ workflowId: string; json: string }>;

  beforeAll(async () => {
    const { address, namespace } = testEnv();
    connection = await NativeConnection.connect({ address });
    const group = await createTugboatWorker({
      connection,
      namespace,
      taskQueue: world.taskQueue,
      simCloudUrl: world.simCloudUrl,
      stateDir: path.join(world.stateDir, 'state'),
      workflowBundle: workflowBundle(),
      dataConverter: encryptingDataConverter(keys),
    });
    worker = { group, running: group.run() };
    clientConnection = await Connection.connect({ address });
    client = new Client({ connection: clientConnection, namespace, dataConverter: encryptingDataConverter(keys) });
    server = await startCodecServer({ codec, port: 0, corsOrigins: [UI_ORIGIN], token: TOKEN });

    const manifest = world.manifest([
      { name: 'db', type: 'terraform', config: { admin_contact: MARKER }, simulate: { duration: '10ms' } },
      { name: 'api', type: 'kubernetes', dependencies: ['db'], config: { db_endpoint: '${{ services.db.outputs.db_id }}' }, simulate: { duration: '10ms' } },
    ]);
    const started = await startDeployment(client, manifest, { taskQueue: world.taskQueue });
    handle = started.handle;
    result = (await handle.result()) as DeploymentResult;
    histories = [];
    for (const workflowId of [handle.workflowId, ...Object.keys(result.services).map((s) => `${started.deploymentId}.${s}`)]) {
      histories.push({ workflowId, json: historyToJSON(await client.workflow.getHandle(workflowId).fetchHistory()) });
    }
  });

  afterAll(async () => {
    await server?.close();
    if (worker) {
      worker.group.shutdown();
      await worker.running;
    }
    await connection?.close();
    await clientConnection?.close();
  });

  /** Output values long enough not to occur by chance (not '' or a version). */
  const outputValues = () => Object.values(result.services).flatMap((s) => Object.values(s.outputs)).filter((v) => v.length >= 8);

  it('keeps the manifest and outputs out of the history in plain text, and the client reads them', async () => {
    expect(result.phase).toBe('SUCCEEDED');
    expect(outputValues().length).toBeGreaterThan(0);
    expect(histories).toHaveLength(3);
    for (const { workflowId, json } of histories) {
      expect({ workflowId, marker: json.includes(MARKER) }).toEqual({ workflowId, marker: false });
      for (const value of outputValues()) expect({ workflowId, value, found: json.includes(value) }).toEqual({ workflowId, value, found: false });
      expect(hasEncryptedPayloads(JSON.parse(json))).toBe(true);
    }
    // The first event's input is an encrypted payload; decoded, it is the manifest with the marker.
    const parent = JSON.parse(histories[0].json);
    const input = parent.events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
    expect(Buffer.from(input.metadata.encoding, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
    const decodedInput = (await decodeHistoryJson(input, codec)) as { data: string };
    expect(Buffer.from(decodedInput.data, 'base64').toString()).toContain(MARKER);
    // The api service got db's output through templating: the child's decoded input has it.
    const apiHistory = JSON.parse(histories.find((h) => h.workflowId.endsWith('.api'))!.json);
    const apiDecoded = await decodeHistoryJson(apiHistory, codec);
    const apiInput = apiDecoded.events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
    expect(Buffer.from(apiInput.data, 'base64').toString()).toContain(result.services.db.outputs.db_id);

    // Progress through the client with keys …
    const progress = await handle.query(progressQuery);
    expect(progress.phase).toBe('SUCCEEDED');
    expect(progress.services.db.outputs).toEqual(result.services.db.outputs);
    // … and what status reads from the raw history itself (the stored record), decoded too.
    const { runId } = await handle.describe();
    const recorded = await recordedDeployment(client, handle.workflowId, runId);
    expect(Object.keys(recorded?.record?.services ?? {}).sort()).toEqual(['api', 'db']);
    expect(typeof recorded?.location).toBe('string');
    // … and nothing readable without them: a plain SDK client cannot decode it, and Tugboat's own
    // client without keys says which settings it lacks.
    await expect(world.client.workflow.getHandle(handle.workflowId).result()).rejects.toThrow(/binary\/encrypted/);
    const keyless = await connectClient({ address: testEnv().address, namespace: testEnv().namespace });
    try {
      await expect(keyless.workflow.getHandle(handle.workflowId).result()).rejects.toThrow(
        /encrypted with key ID "e2e-current", and this process has no keys: set TUGBOAT_CODEC_KEYS or TUGBOAT_CODEC_KEY_FILE/,
      );
    } finally {
      await keyless.connection.close();
    }
  });

  it('serves /decode and /encode for the origins it allows, with the token', async () => {
    const input = JSON.parse(histories[0].json).events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
    const call = (route: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${route}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}`, Origin: UI_ORIGIN, 'X-Namespace': testEnv().namespace, ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });

    const decodedRes = await call('/decode', { payloads: [input] });
    expect(decodedRes.status).toBe(200);
    expect(decodedRes.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    const decoded = (await decodedRes.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    expect(Buffer.from(decoded.payloads[0].metadata.encoding, 'base64').toString()).toBe('json/plain');
    expect(Buffer.from(decoded.payloads[0].data, 'base64').toString()).toContain(MARKER);

    // What it encodes, the worker's codec decodes (the same keys, the same format).
    const plain = payloadToJson(defaultPayloadConverter.toPayload({ note: MARKER }));
    const encoded = (await (await call('/encode', { payloads: [plain, decoded.payloads[0]] })).json()) as { payloads: unknown[] };
    expect(JSON.stringify(encoded)).not.toContain(Buffer.from(MARKER).toString('base64').slice(0, 12));
    const back = (await decodeHistoryJson(encoded, codec)) as { payloads: Array<{ data: string }> };
    expect(JSON.parse(Buffer.from(back.payloads[0].data, 'base64').toString())).toEqual({ note: MARKER });
    // Plain payloads pass through /decode unchanged.
    expect(((await (await call('/decode', { payloads: [plain] })).json()) as { payloads: unknown[] }).payloads).toEqual([plain]);

    // The browser's preflight: allowed origin, the headers the Web UI sends.
    const preflight = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: UI_ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type,x-namespace' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase().split(/,\s*/).sort()).toEqual(['authorization', 'content-type', 'x-namespace']);
    const foreign = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const foreignPost = await call('/decode', { payloads: [input] }, { Origin: 'https://evil.example' });
    expect(foreignPost.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses calls without the token and bad bodies, saying why', async () => {
    const input = JSON.parse(histories[0].json).events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
    const post = (body: string, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }, route = '/decode') =>
      fetch(`${server.url}${route}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
    const refusal = async (res: Response) => ({ status: res.status, error: ((await res.json()) as { error: string }).error });

    const anonymous = await post(JSON.stringify({ payloads: [input] }), {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect((await refusal(await post(JSON.stringify({ payloads: [input] }), { Authorization: `Bearer ${TOKEN}x` }))).status).toBe(401);
    expect(await refusal(await post('{not json'))).toEqual({ status: 400, error: expect.stringMatching(/not JSON/) });
    expect(await refusal(await post('{"payload": []}'))).toEqual({ status: 400, error: expect.stringMatching(/no "payloads" array/) });
    expect(await refusal(await post('{"payloads": [{"data": 7}]}'))).toEqual({ status: 400, error: 'payloads[0].data must be a base64 string' });
    expect(await refusal(await post(`{"payloads": ["x", ${JSON.stringify(input)}]}`))).toEqual({ status: 400, error: 'payloads[0] must be an object ({ metadata, data })' });
    const tampered = { ...input, data: Buffer.from(Buffer.from(input.data, 'base64').map((b, i) => (i === 20 ? b ^ 1 : b))).toString('base64') };
    expect(await refusal(await post(JSON.stringify({ payloads: [tampered] })))).toEqual({ status: 400, error: expect.stringMatching(/key ID e2e-current failed authentication/) });
    const unknownKey = { ...input, metadata: { ...input.metadata, 'encryption-key-id': Buffer.from('retired-2025').toString('base64') } };
    expect(await refusal(await post(JSON.stringify({ payloads: [unknownKey] })))).toEqual({
      status: 400,
      error: expect.stringMatching(/key ID "retired-2025", which TUGBOAT_CODEC_KEYS does not have/),
    });
    expect(await refusal(await post(JSON.stringify({ payloads: [{ data: 'A'.repeat(17 * 1024 * 1024) }] })))).toEqual({
      status: 413,
      error: expect.stringMatching(/over the 16777216-byte limit/),
    });
    expect((await refusal(await post('{}', undefined, '/other'))).status).toBe(404);
    expect((await refusal(await fetch(`${server.url}/decode`, { headers: { Authorization: `Bearer ${TOKEN}` } }))).status).toBe(405);
  });
});
