/**
 * Payload encryption (AES-256-GCM) for everything Tugboat hands Temporal: manifests, outputs,
 * progress. Off unless keys are configured (TUGBOAT_CODEC_KEYS or TUGBOAT_CODEC_KEY_FILE), so the
 * local demo needs nothing; every client and worker Tugboat builds asks here for its converter.
 */
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec } from './aes-gcm-codec';
import { KeylessCodec } from './keyless-codec';
import { codecKeysFromEnv, type CodecKeys } from './keys';

export { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, PayloadDecryptionError, isEncrypted } from './aes-gcm-codec';
export { decodedForReading, payloadValue } from './history';
export { decodeHistoryJson, hasEncryptedPayloads } from './history-json';
export { CodecKeyError, codecKeysFromEnv, KEY_FILE_VAR, KEYS_VAR, parseCodecKeys, type CodecKeys } from './keys';

/**
 * The data converter for the keys the environment configures. Without keys, payloads are Temporal's
 * default plain JSON, and an encrypted one read back fails naming the settings (KeylessCodec).
 * Throws a clear error naming the setting when the keys are bad.
 */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter {
  const keys = codecKeysFromEnv(env);
  return keys ? encryptingDataConverter(keys) : { payloadCodecs: [new KeylessCodec()] };
}

/** Payloads encrypted with `keys`, and failure messages and stack traces moved into (encrypted) payloads. */
export function encryptingDataConverter(keys: CodecKeys): DataConverter {
  return { payloadCodecs: [new AesGcmCodec(keys)], failureConverterPath: require.resolve('./failure-converter') };
}
