/**
 * The payload encryption keys, from TUGBOAT_CODEC_KEYS (`id:base64key[,id:base64key…]`) or the
 * file TUGBOAT_CODEC_KEY_FILE names (the same entries, one a line, `#` comments). The first entry
 * encrypts; every entry decrypts, so a key is rotated by putting a new one first and keeping the
 * old ones until no history that needs them is read any more. Errors name the setting and the
 * entry's position, never a key.
 */
import fs from 'node:fs';
import { warnOnce } from '../system/warn-once';

export const KEYS_VAR = 'TUGBOAT_CODEC_KEYS';
export const KEY_FILE_VAR = 'TUGBOAT_CODEC_KEY_FILE';
/** AES-256: 32 bytes. */
export const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const MAKE_KEY = 'make one with `openssl rand -base64 32`';

export interface CodecKeys {
  /** The ID new payloads are encrypted with (the first entry). */
  encryptWith: string;
  /** Every configured key by ID. */
  byId: ReadonlyMap<string, Buffer>;
  /** Where the keys came from, for messages: the variable, and the file. */
  source: string;
}

export class CodecKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecKeyError';
  }
}

/**
 * The configured keys, or undefined when neither variable is set (encryption off). `warn` hears
 * about a key file others may read.
 */
export function codecKeysFromEnv(env: NodeJS.ProcessEnv, warn: (line: string) => void = warnOnce): CodecKeys | undefined {
  const inline = env[KEYS_VAR]?.trim();
  const file = env[KEY_FILE_VAR]?.trim();
  if (inline && file) {
    throw new CodecKeyError(`Both ${KEYS_VAR} and ${KEY_FILE_VAR} are set: keys come from one place. Unset one of them.`);
  }
  if (inline) return parseCodecKeys(inline.split(','), { setting: KEYS_VAR, unit: 'entry' });
  if (file) return parseCodecKeys(readKeyFile(file, warn), { setting: `${KEY_FILE_VAR} (${file})`, unit: 'line' });
  // Set but empty: a mistake worth naming (an unset variable is the plain, unencrypted default).
  for (const name of [KEYS_VAR, KEY_FILE_VAR]) {
    if (env[name] !== undefined && env[name]!.trim() === '') {
      throw new CodecKeyError(`${name} is set but empty. Give it keys (id:base64key; ${MAKE_KEY}), or unset it to run without payload encryption.`);
    }
  }
  return undefined;
}

/**
 * Parses entries (`id:base64key`, positions counted from 1; in a file, blank and `#` lines are
 * counted but skipped, so the position is the line number).
 */
export function parseCodecKeys(entries: string[], where: { setting: string; unit: 'entry' | 'line' }): CodecKeys {
  const byId = new Map<string, Buffer>();
  let encryptWith: string | undefined;
  entries.forEach((raw, index) => {
    const entry = raw.trim();
    const at = `${where.setting} ${where.unit} ${index + 1}`;
    if (where.unit === 'line' && (entry === '' || entry.startsWith('#'))) return;
    if (entry === '') throw new CodecKeyError(`${at} is empty: expected id:base64key (${MAKE_KEY}); remove the stray comma.`);
    const colon = entry.indexOf(':');
    if (colon < 0) throw new CodecKeyError(`${at} has no key ID: expected id:base64key, e.g. 2026-11:<key> (${MAKE_KEY}).`);
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) {
      throw new CodecKeyError(`${at}: the key ID must be 1-64 letters, digits, '.', '_' or '-' (it is stored in plain text beside every payload).`);
    }
    const key = decodeBase64Strict(encoded);
    if (!key || key.length !== KEY_BYTES) {
      const got = key ? `${key.length} bytes` : 'not base64';
      throw new CodecKeyError(`${at} (key ID ${id}): the key must be ${KEY_BYTES} bytes in base64 (got ${got}); ${MAKE_KEY}.`);
    }
    if (byId.has(id)) throw new CodecKeyError(`${at}: key ID ${id} is used twice; each key needs its own ID.`);
    byId.set(id, key);
    encryptWith ??= id;
  });
  if (!encryptWith) throw new CodecKeyError(`${where.setting} has no keys: expected id:base64key (${MAKE_KEY}).`);
  return { encryptWith, byId, source: where.setting };
}

/** The bytes, or undefined unless `text` is canonical base64 (a typo must not become another key). */
function decodeBase64Strict(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

function readKeyFile(file: string, warn: (line: string) => void): string[] {
  let text: string;
  let mode: number;
  try {
    mode = fs.statSync(file).mode;
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CodecKeyError(`${KEY_FILE_VAR} names ${file}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Point it at the key file, or unset it.`);
  }
  // Warned, not refused: mounted secrets (Kubernetes, Docker) are often 0644 inside a container that is the only reader.
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    warn(`${KEY_FILE_VAR} ${file} can be read by other users (mode ${(mode & 0o777).toString(8)}); run \`chmod 600 ${file}\`.`);
  }
  return text.split(/\r?\n/);
}
