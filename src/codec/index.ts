/**
 * Payload encryption (AES-256-GCM) for everything Tugboat hands Temporal: manifests, outputs,
 * progress. Off unless keys are configured (TUGBOAT_CODEC_KEYS or TUGBOAT_CODEC_KEY_FILE), so the
 * local demo needs nothing; every client and worker Tugboat builds asks here for its converter.
 */
import type { Client } from '@temporalio/client';
import type { DataConverter, Payload } from '@temporalio/common';
import { AesGcmCodec } from './aes-gcm-codec';
import { codecKeysFromEnv, type CodecKeys } from './keys';

export { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, PayloadDecryptionError, isEncrypted } from './aes-gcm-codec';
export { CodecKeyError, codecKeysFromEnv, KEY_FILE_VAR, KEYS_VAR, parseCodecKeys, type CodecKeys } from './keys';

/**
 * The data converter for the keys the environment configures, or undefined when none are (plain
 * JSON payloads, Temporal's default). Throws a clear error naming the setting when they are bad.
 */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const keys = codecKeysFromEnv(env);
  return keys ? encryptingDataConverter(keys) : undefined;
}

/** Payloads encrypted with `keys`, and failure messages and stack traces moved into (encrypted) payloads. */
export function encryptingDataConverter(keys: CodecKeys): DataConverter {
  return { payloadCodecs: [new AesGcmCodec(keys)], failureConverterPath: require.resolve('./failure-converter') };
}

/**
 * A payload read straight from history or a describe (not through the SDK's decoding), converted
 * to its value as the SDK would: through the client's codecs first.
 */
export async function payloadValue<T>(client: Client, payload: Payload): Promise<T> {
  const { payloadCodecs, payloadConverter } = client.options.loadedDataConverter;
  let decoded = [payload];
  for (const codec of [...payloadCodecs].reverse()) decoded = await codec.decode(decoded);
  return payloadConverter.fromPayload<T>(decoded[0]);
}
