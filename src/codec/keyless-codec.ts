/**
 * The codec of a process without keys: payloads go out plain, as Temporal's default converter
 * writes them, and an encrypted one read back fails with what to set, instead of the SDK's bare
 * "Unknown encoding: binary/encrypted" (a CLI or worker missing the keys its cluster's workers use).
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { isEncrypted, KEY_ID_METADATA, PayloadDecryptionError } from './aes-gcm-codec';
import { KEY_FILE_VAR, KEYS_VAR } from './keys';

export class KeylessCodec implements PayloadCodec {
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads;
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    const encrypted = payloads.find(isEncrypted);
    if (encrypted) {
      const keyId = encrypted.metadata?.[KEY_ID_METADATA];
      throw new PayloadDecryptionError(
        `A payload is encrypted${keyId ? ` with key ID ${JSON.stringify(Buffer.from(keyId).toString('utf8'))}` : ''}, and this process has no keys: ` +
          `set ${KEYS_VAR} or ${KEY_FILE_VAR} to the keys the workers use.`,
      );
    }
    return payloads;
  }
}
