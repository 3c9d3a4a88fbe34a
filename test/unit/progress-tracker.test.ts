/** The progress record stays bounded whatever operators send: refused requests beyond a limit are only counted. */
import { validateManifestOrThrow } from '../../src/manifest/validate';
import { planOrThrow } from '../../src/plan';
import { MAX_IGNORED_REQUESTS, ProgressTracker } from '../../src/workflows/progress-tracker';

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
});
