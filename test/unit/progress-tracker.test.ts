/** The progress record stays bounded whatever operators send: refused requests beyond a limit are only counted. */
import { validateManifestOrThrow } from '../../src/manifest/validate';
import { planOrThrow } from '../../src/plan';
import { MAX_ACCEPTED_REQUESTS, MAX_IGNORED_REQUESTS, ProgressTracker } from '../../src/workflows/progress-tracker';

describe('ProgressTracker.record', () => {
  it('keeps accepted requests and the first refused ones, and counts the refused rest', () => {
    const manifest = validateManifestOrThrow({ deployment: { name: 'shop', environment: 'prod', services: [{ name: 'api', type: 'shell', executor: 'simulated' }] } });
    const tracker = new ProgressTracker('dep-1', manifest, planOrThrow(manifest), '2026-11-29T00:00:00.000Z');
    for (let i = 0; i < MAX_IGNORED_REQUESTS + 7; i++) {
      tracker.record({ kind: 'continue_rollback', via: 'signal', outcome: 'ignored', note: `refused ${i}` });
    }
    tracker.record({ kind: 'cancel', via: 'update', outcome: 'accepted' });
    const { requests, ignoredRequestsNotRecorded } = tracker.snapshot();
    expect(requests.filter((r) => r.outcome === 'ignored')).toHaveLength(MAX_IGNORED_REQUESTS);
    expect(requests.at(-1)).toMatchObject({ kind: 'cancel', outcome: 'accepted' });
    expect(ignoredRequestsNotRecorded).toBe(7);
  });

  it('keeps the first accepted requests and counts the rest (pause/resume pairs from the Web UI)', () => {
    const manifest = validateManifestOrThrow({ deployment: { name: 'shop', environment: 'prod', services: [{ name: 'api', type: 'shell', executor: 'simulated' }] } });
    const tracker = new ProgressTracker('dep-1', manifest, planOrThrow(manifest), '2026-11-29T00:00:00.000Z');
    for (let i = 0; i < MAX_ACCEPTED_REQUESTS + 3; i++) {
      tracker.record({ kind: i % 2 === 0 ? 'pause' : 'resume', via: 'signal', outcome: 'accepted' });
    }
    tracker.record({ kind: 'resume', via: 'signal', outcome: 'ignored', note: 'not paused' });
    const { requests, acceptedRequestsNotRecorded } = tracker.snapshot();
    expect(requests.filter((r) => r.outcome === 'accepted')).toHaveLength(MAX_ACCEPTED_REQUESTS);
    expect(requests.at(-1)).toMatchObject({ outcome: 'ignored' });
    expect(acceptedRequestsNotRecorded).toBe(3);
  });
});
