/**
 * The AES-256-GCM payload codec and its key settings (src/codec): round trips, rotation, refusals
 * of altered or foreign ciphertext, and the errors for bad key settings (never showing a key).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  AesGcmCodec,
  CodecKeyError,
  codecKeysFromEnv,
  dataConverterFromEnv,
  decodedForReading,
  ENCRYPTED_ENCODING,
  isEncrypted,
  KEY_ID_METADATA,
  parseCodecKeys,
  PayloadDecryptionError,
} from '../../src/codec';
import { payloadFromBytes, payloadFromJson, payloadToBytes, payloadToJson } from '../../src/codec/payload-bytes';

const newKey = () => crypto.randomBytes(32).toString('base64');
const keysOf = (value: string) => codecKeysFromEnv({ TUGBOAT_CODEC_KEYS: value })!;
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

describe('AesGcmCodec', () => {
  const oldKey = newKey();
  const currentKey = newKey();
  const codec = new AesGcmCodec(keysOf(`k1:${oldKey}`));

  it('round-trips any JSON payload, metadata included, and hides its encoding', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const plain = defaultPayloadConverter.toPayload(value);
        const [encrypted] = await codec.encode([plain]);
        expect(text(encrypted.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
        expect(text(encrypted.metadata?.[KEY_ID_METADATA])).toBe('k1');
        expect(Object.keys(encrypted.metadata ?? {}).sort()).toEqual(['encoding', KEY_ID_METADATA].sort());
        const [decoded] = await codec.decode([encrypted]);
        // Byte for byte what was encrypted (comparing values would trip over JSON's -0 → 0, not ours).
        expect(Buffer.from(decoded.data!).equals(Buffer.from(plain.data!))).toBe(true);
        expect(text(decoded.metadata?.encoding)).toBe('json/plain');
        expect(Object.keys(decoded.metadata ?? {})).toEqual(Object.keys(plain.metadata ?? {}));
      }),
      { numRuns: 200 },
    );
  });

  it('never writes the same ciphertext twice (a fresh IV per payload) and leaves no plain text', async () => {
    const marker = 'marker-9d2f-endpoint.internal.example';
    const plain = defaultPayloadConverter.toPayload({ endpoint: marker });
    const [a, b] = await codec.encode([plain, plain]);
    expect(Buffer.from(a.data!).equals(Buffer.from(b.data!))).toBe(false);
    expect(Buffer.from(a.data!).includes(marker)).toBe(false);
  });

  it('passes plain payloads through decode (histories from before the keys)', async () => {
    const plain = defaultPayloadConverter.toPayload({ a: 1 });
    const binary = defaultPayloadConverter.toPayload(new Uint8Array([1, 2, 3]));
    expect(await codec.decode([plain, binary])).toEqual([plain, binary]);
  });

  it('rotates: the first key encrypts, every configured key decrypts', async () => {
    const [before] = await codec.encode([defaultPayloadConverter.toPayload('old secret')]);
    const rotated = new AesGcmCodec(keysOf(`k2:${currentKey},k1:${oldKey}`));
    const [after] = await rotated.encode([defaultPayloadConverter.toPayload('new secret')]);
    expect(text(after.metadata?.[KEY_ID_METADATA])).toBe('k2');
    const [oldDecoded, newDecoded] = await rotated.decode([before, after]);
    expect(defaultPayloadConverter.fromPayload(oldDecoded)).toBe('old secret');
    expect(defaultPayloadConverter.fromPayload(newDecoded)).toBe('new secret');
    // A codec with only the old key cannot read the new payload, and says which key it lacks.
    await expect(codec.decode([after])).rejects.toThrow(/key ID "k2", which TUGBOAT_CODEC_KEYS does not have \(it has k1\)/);
  });

  it('refuses a payload altered anywhere in its IV, ciphertext or tag', async () => {
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload({ replicas: 3 })]);
    const length = encrypted.data!.length;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, flip) => {
        const data = Buffer.from(encrypted.data!);
        data[at] ^= flip;
        await expect(codec.decode([{ ...encrypted, data }])).rejects.toThrow(PayloadDecryptionError);
      }),
      { numRuns: 100 },
    );
    await expect(codec.decode([{ ...encrypted, data: encrypted.data!.subarray(0, 20) }])).rejects.toThrow(/too short/);
  });

  it('refuses a payload encrypted under the same ID with another key, naming the setting but no key', async () => {
    const other = new AesGcmCodec(keysOf(`k1:${currentKey}`));
    const [encrypted] = await other.encode([defaultPayloadConverter.toPayload('x')]);
    const error = await codec.decode([encrypted]).catch((err: Error) => err);
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect((error as Error).message).toMatch(/key ID k1 failed authentication.*TUGBOAT_CODEC_KEYS has a different key/);
    expect((error as Error).message).not.toContain(oldKey);
    expect((error as Error).message).not.toContain(currentKey);
  });

  it('refuses an encrypted payload without a key ID', async () => {
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload('x')]);
    const withoutId: Payload = { metadata: { encoding: encrypted.metadata!.encoding }, data: encrypted.data };
    expect(isEncrypted(withoutId)).toBe(true);
    await expect(codec.decode([withoutId])).rejects.toThrow(/no encryption-key-id metadata/);
  });
});

describe('payload bytes and JSON', () => {
  const payloadArb = fc.record({
    metadata: fc.dictionary(fc.string({ minLength: 1 }).filter((k) => k !== '__proto__'), fc.uint8Array()),
    data: fc.uint8Array(),
  });

  it('round-trips any payload through its protobuf bytes and through codec-server JSON', () => {
    fc.assert(
      fc.property(payloadArb, (payload) => {
        const norm = (p: Payload) => ({
          metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('hex')])),
          data: Buffer.from(p.data ?? new Uint8Array()).toString('hex'),
        });
        expect(norm(payloadFromBytes(payloadToBytes(payload)))).toEqual(norm(payload));
        const fromJson = payloadFromJson(JSON.parse(JSON.stringify(payloadToJson(payload))), 'p');
        expect(typeof fromJson).not.toBe('string');
        expect(norm(fromJson as Payload)).toEqual(norm(payload));
      }),
    );
  });

  it('names what is wrong with a JSON payload', () => {
    expect(payloadFromJson(null, 'payloads[0]')).toBe('payloads[0] must be an object ({ metadata, data })');
    expect(payloadFromJson({ data: 42 }, 'payloads[1]')).toBe('payloads[1].data must be a base64 string');
    expect(payloadFromJson({ metadata: { encoding: '!!' } }, 'payloads[2]')).toBe('payloads[2].metadata.encoding must be a base64 string');
    expect(payloadFromJson({ metadata: [] }, 'payloads[3]')).toBe('payloads[3].metadata must be an object of base64 strings');
  });
});

describe('key settings', () => {
  const key = newKey();

  it('is off without either variable, and on with either', () => {
    const keyless = dataConverterFromEnv({});
    expect(keyless.failureConverterPath).toBeUndefined();
    const converter = dataConverterFromEnv({ TUGBOAT_CODEC_KEYS: `a:${key}` });
    expect(converter?.payloadCodecs).toHaveLength(1);
    // Failure messages and stack traces go into (encrypted) payloads too.
    const { failureConverter } = require(converter!.failureConverterPath!);
    expect(failureConverter.options.encodeCommonAttributes).toBe(true);
  });

  it('without keys, writes plain payloads and refuses an encrypted one naming the settings', async () => {
    const [codec] = dataConverterFromEnv({}).payloadCodecs!;
    const plain = defaultPayloadConverter.toPayload({ service: 'db' })!;
    expect(await codec.encode([plain])).toEqual([plain]);
    expect(await codec.decode([plain])).toEqual([plain]);
    const [encrypted] = await dataConverterFromEnv({ TUGBOAT_CODEC_KEYS: `k-2026:${key}` }).payloadCodecs![0].encode([plain]);
    await expect(codec.decode([plain, encrypted])).rejects.toThrow(
      'A payload is encrypted with key ID "k-2026", and this process has no keys: set TUGBOAT_CODEC_KEYS or TUGBOAT_CODEC_KEY_FILE to the keys the workers use.',
    );
  });

  it('reads a key file: comments, blank lines, the first key encrypts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-codec-keys-'));
    try {
      const file = path.join(dir, 'keys');
      const second = newKey();
      fs.writeFileSync(file, `# current\nnew:${key}\n\n# kept for old histories\nold:${second}\n`, { mode: 0o600 });
      const warnings: string[] = [];
      const keys = codecKeysFromEnv({ TUGBOAT_CODEC_KEY_FILE: file }, (line) => warnings.push(line))!;
      expect(keys.encryptWith).toBe('new');
      expect([...keys.byId.keys()]).toEqual(['new', 'old']);
      expect(keys.byId.get('old')!.toString('base64')).toBe(second);
      expect(warnings).toEqual([]);
      fs.chmodSync(file, 0o644);
      codecKeysFromEnv({ TUGBOAT_CODEC_KEY_FILE: file }, (line) => warnings.push(line));
      expect(warnings).toEqual([expect.stringMatching(/can be read by other users \(mode 644\); run `chmod 600/)]);
      // Bad entries are named by line number (comments and blank lines counted).
      fs.writeFileSync(file, `# c\nnew:${key}\n\nold:short\n`);
      expect(() => codecKeysFromEnv({ TUGBOAT_CODEC_KEY_FILE: file }, () => undefined)).toThrow(
        new CodecKeyError(`TUGBOAT_CODEC_KEY_FILE (${file}) line 4 (key ID old): the key must be 32 bytes in base64 (got not base64); make one with \`openssl rand -base64 32\`.`),
      );
      expect(() => codecKeysFromEnv({ TUGBOAT_CODEC_KEY_FILE: path.join(dir, 'missing') })).toThrow(/names .*missing, which cannot be read \(ENOENT\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [{ TUGBOAT_CODEC_KEYS: `a:${newKey()}`, TUGBOAT_CODEC_KEY_FILE: '/x' }, /Both TUGBOAT_CODEC_KEYS and TUGBOAT_CODEC_KEY_FILE are set/],
    [{ TUGBOAT_CODEC_KEYS: ' ' }, /TUGBOAT_CODEC_KEYS is set but empty/],
    [{ TUGBOAT_CODEC_KEYS: `a:${newKey()},` }, /TUGBOAT_CODEC_KEYS entry 2 is empty/],
    [{ TUGBOAT_CODEC_KEYS: newKey() }, /TUGBOAT_CODEC_KEYS entry 1 has no key ID/],
    [{ TUGBOAT_CODEC_KEYS: `a b:${newKey()}` }, /entry 1: the key ID must be/],
    [{ TUGBOAT_CODEC_KEYS: `a:${crypto.randomBytes(16).toString('base64')}` }, /entry 1 \(key ID a\): the key must be 32 bytes in base64 \(got 16 bytes\); make one with `openssl rand -base64 32`/],
    [{ TUGBOAT_CODEC_KEYS: `a:${newKey()},a:${newKey()}` }, /TUGBOAT_CODEC_KEYS entry 2: key ID a is used twice/],
  ])('refuses %j', (env, message) => {
    expect(() => codecKeysFromEnv(env)).toThrow(message);
  });

  it('never puts a key in an error, whatever the entry', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', 'b', ':', ',', '=', '+', '/', ' ', 'Q', '0') }), { minLength: 1, maxLength: 4 }), (parts) => {
        const secret = newKey();
        const entries = [...parts, `dup:${secret}`, `dup:${secret}`];
        try {
          parseCodecKeys(entries, { setting: 'TUGBOAT_CODEC_KEYS', unit: 'entry' });
        } catch (err) {
          expect(err).toBeInstanceOf(CodecKeyError);
          expect((err as Error).message).not.toContain(secret);
          expect((err as Error).message).toMatch(/TUGBOAT_CODEC_KEYS/);
          return;
        }
        throw new Error('a duplicated ID was accepted');
      }),
    );
  });
});

describe('decodedForReading (what status reads from raw history and describe)', () => {
  const codec = new AesGcmCodec(keysOf(`r:${newKey()}`));
  const clientWith = (codecs: AesGcmCodec[]) =>
    ({ options: { loadedDataConverter: { payloadCodecs: codecs, payloadConverter: defaultPayloadConverter } } }) as unknown as Parameters<typeof decodedForReading>[0];

  it('decodes payload lists and encoded failure messages, keeping prototypes (event IDs are Longs)', async () => {
    const [input] = await codec.encode([defaultPayloadConverter.toPayload({ services: { api: {} } })]);
    const [attributes] = await codec.encode([defaultPayloadConverter.toPayload({ message: 'api: 503 from the endpoint', stack_trace: 'at apply' })]);
    // Event IDs are Long objects: their toString lives on the prototype.
    class EventId {
      constructor(private readonly value: number) {}
      toString() {
        return String(this.value);
      }
    }
    const eventId = new EventId(7);
    const events = [
      { eventId, activityTaskScheduledEventAttributes: { input: { payloads: [input] } } },
      { activityTaskFailedEventAttributes: { scheduledEventId: eventId, failure: { message: 'Encoded failure', encodedAttributes: attributes, cause: null } } },
    ];
    const decoded = await decodedForReading(clientWith([codec]), events);
    expect(String(decoded[0].eventId)).toBe('7');
    expect(defaultPayloadConverter.fromPayload(decoded[0].activityTaskScheduledEventAttributes!.input.payloads[0])).toEqual({ services: { api: {} } });
    expect(decoded[1].activityTaskFailedEventAttributes!.failure).toMatchObject({ message: 'api: 503 from the endpoint', stackTrace: 'at apply' });
    // The input is left as it was.
    expect(events[1].activityTaskFailedEventAttributes!.failure.message).toBe('Encoded failure');
  });

  it('returns the value itself when the client has no codec', async () => {
    const events = [{ a: { payloads: [defaultPayloadConverter.toPayload(1)] } }];
    expect(await decodedForReading(clientWith([]), events)).toBe(events);
  });
});
