/**
 * Limits a Temporal server enforces on what a workflow sends it (self-hosted defaults, which
 * Temporal Cloud shares). Exceeding one fails the workflow task on every attempt — a wedged
 * deployment — so the manifest schema keeps user values inside them and summaries are cut to fit.
 * Pure: shared by the schema, the workflows and the client.
 */

/** `limit.maxIDLength`: workflow and activity IDs. */
export const MAX_ID_LENGTH = 1000;
/** `limit.userMetadataSummarySize`: a workflow's or activity's summary, in UTF-8 bytes. */
export const MAX_SUMMARY_BYTES = 400;
/** `limit.userMetadataDetailsSize`: a workflow's static details, in UTF-8 bytes. */
export const MAX_DETAILS_BYTES = 20_000;
/**
 * `limit.blobSize.error` is 2 MB per payload. The manifest travels whole in the deployment's input
 * and in the rollback manifest's store step, and each service's slice in its child's input, so the
 * whole manifest must fit one payload with room to spare; no workflow task carries more than one
 * manifest's worth (all its children's slices together are at most that), under the 4 MB a task
 * may write. The start input adds the decided plan (each name several times) and the rollback
 * manifest folds the deployment's settings into each service, so the manifest itself keeps a third
 * of a payload free: 1.25 MiB holds about 2,500 simulated services with every default filled in
 * (≈500 bytes each); 256 KiB, the limit before, stopped a 2,000-service platform at about 520.
 */
export const MAX_MANIFEST_BYTES = 1280 * 1024;

/**
 * What Tugboat lets one payload be: Temporal's 2 MB (`limit.blobSize.error`) less room for the
 * encoding's metadata and the input's other fields. The client measures the payloads a deployment
 * will send against it before starting (src/client/payload-size.ts).
 */
export const MAX_PAYLOAD_BYTES = 1920 * 1024;

/** UTF-8 length without TextEncoder (not every runtime Tugboat's pure code runs in has one). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** `text` cut (on a character boundary, marked with "…") so its UTF-8 form fits in `maxBytes`. */
export function fitUtf8(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  const budget = maxBytes - utf8Length('…');
  let out = '';
  let used = 0;
  for (const ch of text) {
    const size = utf8Length(ch);
    if (used + size > budget) break;
    out += ch;
    used += size;
  }
  return out + '…';
}
