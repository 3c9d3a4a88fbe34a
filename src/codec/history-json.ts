/**
 * Histories as JSON (historyToJSON, the replay fixtures, `temporal workflow show -o json`): the
 * payloads there have the codec-server protocol's shape, so the encrypted ones can be found and
 * decoded in place. For tools and tests that read fixtures; workers decode through the SDK.
 */
import type { PayloadCodec } from '@temporalio/common';
import { ENCRYPTED_ENCODING } from './aes-gcm-codec';
import { payloadFromJson, payloadToJson, type JsonPayload } from './payload-bytes';

const ENCRYPTED_ENCODING_BASE64 = Buffer.from(ENCRYPTED_ENCODING).toString('base64');

/** Whether `value` (a history as JSON, or any part of it) holds an encrypted payload. */
export function hasEncryptedPayloads(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasEncryptedPayloads);
  if (typeof value !== 'object' || value === null) return false;
  return isEncryptedJson(value) || Object.values(value).some(hasEncryptedPayloads);
}

/** A copy of `value` with every encrypted payload replaced by its decoded JSON form. */
export async function decodeHistoryJson<T>(value: T, codec: PayloadCodec): Promise<T> {
  return (await walk(value, codec)) as T;
}

async function walk(value: unknown, codec: PayloadCodec): Promise<unknown> {
  if (Array.isArray(value)) return Promise.all(value.map((item) => walk(item, codec)));
  if (typeof value !== 'object' || value === null) return value;
  if (isEncryptedJson(value)) {
    const payload = payloadFromJson(value, 'payload');
    if (typeof payload === 'string') throw new Error(payload);
    const [decoded] = await codec.decode([payload]);
    return payloadToJson(decoded);
  }
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) out[key] = await walk(field, codec);
  return out;
}

function isEncryptedJson(value: object): value is JsonPayload {
  return (value as JsonPayload).metadata?.encoding === ENCRYPTED_ENCODING_BASE64;
}
