/**
 * AES-256-GCM payload encryption. Each payload (metadata and data, as protobuf bytes) becomes
 * `iv (12 bytes) || ciphertext || tag (16 bytes)` under a fresh random IV, with metadata
 * `encoding: binary/encrypted` and `encryption-key-id: <id>`: the layout of temporalio's
 * samples-typescript encryption sample, so its tools read ours. Decoding leaves payloads that are
 * not encrypted as they are, so a worker given keys still reads histories from before them.
 */
import crypto from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { KEY_FILE_VAR, KEYS_VAR, type CodecKeys } from './keys';
import { payloadFromBytes, payloadToBytes } from './payload-bytes';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CIPHER = 'aes-256-gcm';

export class PayloadDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly keys: CodecKeys) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? this.decrypt(payload) : payload));
  }

  private encrypt(payload: Payload): Payload {
    const keyId = this.keys.encryptWith;
    const iv = crypto.randomBytes(IV_BYTES);
    const cipher = crypto.createCipheriv(CIPHER, this.keys.byId.get(keyId)!, iv);
    const data = Buffer.concat([iv, cipher.update(payloadToBytes(payload)), cipher.final(), cipher.getAuthTag()]);
    return { metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(keyId) }, data };
  }

  private decrypt(payload: Payload): Payload {
    const keyIdBytes = payload.metadata?.[KEY_ID_METADATA];
    if (!keyIdBytes) throw new PayloadDecryptionError(`An encrypted payload has no ${KEY_ID_METADATA} metadata: it was not written by Tugboat's codec.`);
    const keyId = Buffer.from(keyIdBytes).toString('utf8');
    const key = this.keys.byId.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `A payload is encrypted with key ID ${JSON.stringify(keyId)}, which ${this.keys.source} does not have ` +
          `(it has ${[...this.keys.byId.keys()].join(', ')}). Add that key (after the current one) to ${KEYS_VAR} or ${KEY_FILE_VAR}: ` +
          'keys rotated out must stay configured while histories encrypted with them are read.',
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`A payload encrypted with key ID ${keyId} is too short to be AES-GCM output: it is damaged.`);
    try {
      const decipher = crypto.createDecipheriv(CIPHER, key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      return payloadFromBytes(Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]));
    } catch {
      throw new PayloadDecryptionError(
        `A payload encrypted with key ID ${keyId} failed authentication: it was altered, or ${this.keys.source} has a different key under that ID.`,
      );
    }
  }
}

export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.encoding;
  return encoding != null && Buffer.from(encoding).toString('utf8') === ENCRYPTED_ENCODING;
}
