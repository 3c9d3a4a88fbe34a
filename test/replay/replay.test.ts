/**
 * Determinism guard: every recorded history in test/histories/ (committed fixtures, written only
 * by scripts/record-histories.ts) must replay against today's workflow code. A change to workflow
 * logic that alters the command sequence fails here unless it is behind patched().
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/temporal-env';
import { installWorkerLogging } from '../../src/worker/logging';
import { PATCH_DECIDE_IN_ACTIVITY, PATCH_DEPLOYMENT_RECORD } from '../../src/workflows/deployment';
import { PATCH_SIGNAL_PAYLOAD_CHECK } from '../../src/workflows/operator-handlers';
import { PATCH_RETAIN_KEEPS_DEPENDENCIES } from '../../src/workflows/rollback';
import { AesGcmCodec, codecKeysFromEnv, decodeHistoryJson, encryptingDataConverter, hasEncryptedPayloads, KEYS_VAR } from '../../src/codec';
import { REPLAY_CODEC_MARKER, REPLAY_TEST_CODEC_KEYS } from '../../scripts/lib/replay-codec-key';

installWorkerLogging('ERROR');

const DIR = path.resolve(__dirname, '..', 'histories');
const fixtures = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => {
    const text = fs.readFileSync(path.join(DIR, file), 'utf8');
    const fixture = JSON.parse(text) as { workflowId: string; history: unknown };
    // `readable`: the history with encrypted payloads decoded, for the helpers that read payloads (beforeAll).
    return { file, text, ...fixture, encrypted: hasEncryptedPayloads(fixture.history), readable: fixture.history };
  });
/** What the encrypted fixtures were recorded with (a committed test-only key). */
const replayKeys = codecKeysFromEnv({ [KEYS_VAR]: REPLAY_TEST_CODEC_KEYS })!;

beforeAll(async () => {
  for (const f of fixtures) if (f.encrypted) f.readable = await decodeHistoryJson(f.history, new AesGcmCodec(replayKeys));
});

type JsonEvent = { markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, { payloads?: Array<{ data?: string }> }> } };

/** The patch IDs a history recorded (core_patch markers carry them in a base64 JSON payload). */
function patchIds(history: unknown): string[] {
  return ((history as { events?: JsonEvent[] }).events ?? [])
    .map((e) => e.markerRecordedEventAttributes)
    .filter((m) => m?.markerName === 'core_patch')
    .flatMap((m) => Object.values(m?.details ?? {}).flatMap((d) => d.payloads ?? []))
    .map((payload) => JSON.parse(Buffer.from(payload.data ?? '', 'base64').toString('utf8')) as { id?: string })
    .map((data) => data.id ?? '');
}

describe('replay of recorded histories', () => {
  it('has fixtures for parents and children of every scenario', () => {
    const parents = fixtures.filter((f) => f.file.endsWith('.parent.json'));
    expect(parents.length).toBeGreaterThanOrEqual(3);
    expect(fixtures.length).toBeGreaterThan(parents.length);
  });

  it('covers both sides of every patch: histories recorded before it and after it', () => {
    const hasMarker = (f: (typeof fixtures)[number], patchId: string) => patchIds(f.readable).includes(patchId);
    const parents = fixtures.filter((f) => f.file.endsWith('.parent.json'));
    for (const patchId of [PATCH_DEPLOYMENT_RECORD, PATCH_RETAIN_KEEPS_DEPENDENCIES, PATCH_DECIDE_IN_ACTIVITY, PATCH_SIGNAL_PAYLOAD_CHECK]) {
      expect(parents.filter((f) => hasMarker(f, patchId)).length).toBeGreaterThan(0);
      expect(parents.filter((f) => !hasMarker(f, patchId)).length).toBeGreaterThan(0);
    }
  });

  it('has runs whose input carries the client plan (decided once) and runs without it', () => {
    const inputOf = (f: (typeof fixtures)[number]) => {
      const started = (f.readable as { events: Array<{ workflowExecutionStartedEventAttributes?: { input?: { payloads?: Array<{ data?: string }> } } }> })
        .events[0].workflowExecutionStartedEventAttributes;
      const data = started?.input?.payloads?.[0]?.data ?? '';
      return JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { plan?: unknown };
    };
    const parents = fixtures.filter((f) => f.file.endsWith('.parent.json'));
    expect(parents.filter((f) => inputOf(f).plan !== undefined).length).toBeGreaterThan(0);
    expect(parents.filter((f) => inputOf(f).plan === undefined).length).toBeGreaterThan(0);
  });

  it('replays every fixture without a determinism error (the encrypted ones with their key)', async () => {
    const failures: string[] = [];
    let replayed = 0;
    for (const encrypted of [false, true]) {
      const chosen = fixtures.filter((f) => f.encrypted === encrypted);
      const histories = chosen.map((f) => ({ workflowId: f.workflowId, history: historyFromJSON(f.history) }));
      const options = { workflowBundle: workflowBundle(), ...(encrypted ? { dataConverter: encryptingDataConverter(replayKeys) } : {}) };
      // runReplayHistories reports errors in its results instead of throwing: collect them.
      for await (const result of Worker.runReplayHistories(options, histories)) {
        replayed++;
        if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
      }
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(fixtures.length);
  });

  it('has fixtures recorded with payload encryption: no manifest value in plain text, readable with the key', () => {
    const encrypted = fixtures.filter((f) => f.encrypted);
    expect(encrypted.filter((f) => f.file.endsWith('.parent.json')).length).toBeGreaterThan(0);
    expect(fixtures.filter((f) => !f.encrypted).length).toBeGreaterThan(encrypted.length);
    for (const f of encrypted) expect({ file: f.file, plain: f.text.includes(REPLAY_CODEC_MARKER) }).toEqual({ file: f.file, plain: false });
    const parent = encrypted.find((f) => f.file.endsWith('.parent.json'))!;
    const input = (parent.readable as { events: Array<{ workflowExecutionStartedEventAttributes: { input: { payloads: Array<{ data: string }> } } }> }).events[0]
      .workflowExecutionStartedEventAttributes.input.payloads[0];
    expect(Buffer.from(input.data, 'base64').toString('utf8')).toContain(REPLAY_CODEC_MARKER);
  });

  it('cannot replay an encrypted fixture without its key', async () => {
    const parent = fixtures.find((f) => f.encrypted && f.file.endsWith('.parent.json'))!;
    const results = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: workflowBundle() }, [{ workflowId: parent.workflowId, history: historyFromJSON(parent.history) }])) {
      results.push(result);
    }
    expect(results).toHaveLength(1);
    expect(results[0].error?.message).toMatch(/binary\/encrypted/);
  });

  it('replays a run recorded before the runnable rules even if its manifest breaks them (old runs are not re-decided)', async () => {
    // A run started by an older Tugboat with a manifest that today's plan refuses (the wedge the
    // rules exist for): it must replay and go on, not fail its workflow task on every new worker.
    const parent = fixtures.find((f) => f.file === 'ecommerce-success.parent.json')!;
    const altered = JSON.parse(JSON.stringify(parent.history));
    const payload = altered.events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
    const input = JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));
    expect(input.plan).toBeUndefined();
    input.manifest.deployment.services[0].retry.initial_interval = '2m';
    payload.data = Buffer.from(JSON.stringify(input)).toString('base64');
    await expect(
      Worker.runReplayHistory({ workflowBundle: workflowBundle() }, historyFromJSON(altered), parent.workflowId),
    ).resolves.toBeUndefined();
  });

  it('fails with DeterminismViolationError when the recorded commands differ from the code', async () => {
    const parent = fixtures.find((f) => f.file === 'ecommerce-success.parent.json')!;
    const altered = JSON.parse(JSON.stringify(parent.history));
    // Pretend the recorded run started its first child under another workflow type.
    const start = altered.events.find((e: { startChildWorkflowExecutionInitiatedEventAttributes?: unknown }) =>
      e.startChildWorkflowExecutionInitiatedEventAttributes,
    );
    start.startChildWorkflowExecutionInitiatedEventAttributes.workflowType.name = 'someOtherWorkflow';
    await expect(
      Worker.runReplayHistory({ workflowBundle: workflowBundle() }, historyFromJSON(altered), parent.workflowId),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
