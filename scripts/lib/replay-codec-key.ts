/**
 * The key the encrypted replay fixtures (test/histories/encrypted-*.json) are recorded with by
 * scripts/record-histories.ts and replayed with by test/replay/replay.test.ts.
 *
 * A TEST KEY (the 32 bytes spell 'test-only-key-never-use-it-real!'), PUBLIC BY BEING COMMITTED: it protects nothing and must never be configured on a
 * real worker. Fixed so the committed fixtures keep replaying; rotate nothing here.
 */
export const REPLAY_TEST_CODEC_KEYS = 'replay-test-only:dGVzdC1vbmx5LWtleS1uZXZlci11c2UtaXQtcmVhbCE=';

/** In a recorded service's config: the replay test checks it is absent from the fixture files. */
export const REPLAY_CODEC_MARKER = 'replay-codec-marker-8c1f';
