/**
 * Resolving secret references inside an activity, and keeping their values out of everything that
 * leaves it: each resolved value is remembered by the bag, and `redact` replaces it in any text
 * (stderr tails, heartbeat lines, error messages, outputs) with the reference's description.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describeSecret, isSecretReference, type SecretReference } from './reference';

export class SecretResolutionError extends Error {
  constructor(
    readonly ref: SecretReference,
    why: string,
  ) {
    super(`cannot resolve ${describeSecret(ref)}: ${why}`);
    this.name = 'SecretResolutionError';
  }
}

/** Values shorter than this are not redacted: replacing every "1" in a log would hide more than it protects. */
const MIN_REDACTED_LENGTH = 4;

export class SecretBag {
  private readonly known = new Map<string, string>();

  /** baseDir: where a relative `file:` path starts (the manifest's directory). */
  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly baseDir: string = process.cwd(),
  ) {}

  /** The secret's value, read now (never cached across activities: a rotated secret is picked up). */
  async resolve(ref: SecretReference): Promise<string> {
    const value = await readSecret(ref, this.env, this.baseDir);
    const label = describeSecret(ref);
    // The forms a value takes on its way out: whole, one line at a time (a PEM key printed by a
    // tool, or split into heartbeat lines), and escaped inside JSON (a body or outputs file echoed back).
    const forms = [value, ...value.split(/\r?\n/), JSON.stringify(value).slice(1, -1)];
    for (const form of forms) if (form.trim().length >= MIN_REDACTED_LENGTH) this.known.set(form, label);
    return value;
  }

  /** What resolved values are replaced with (`[secret env:NAME]`, …), for callers that check text for them. */
  labels(): Set<string> {
    return new Set(this.known.values());
  }

  /** A string as is, or the value a secret reference points at. */
  async value(item: unknown): Promise<string> {
    if (isSecretReference(item)) return this.resolve(item);
    if (typeof item === 'string') return item;
    return JSON.stringify(item);
  }

  /** Deep copy of a config value with every secret reference replaced by its value. */
  async resolveDeep(value: unknown): Promise<unknown> {
    if (isSecretReference(value)) return this.resolve(value);
    if (Array.isArray(value)) return Promise.all(value.map((item) => this.resolveDeep(item)));
    if (typeof value === 'object' && value !== null) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[key] = await this.resolveDeep(item);
      return out;
    }
    return value;
  }

  /** The text with every value this bag resolved replaced by `[secret env:NAME]`. Longest first. */
  redact(text: string): string {
    let out = text;
    for (const [value, label] of [...this.known].sort((a, b) => b[0].length - a[0].length)) {
      out = out.split(value).join(label);
    }
    return out;
  }

  /** Redact every string in a JSON-like value (outputs, details). */
  redactDeep<T>(value: T): T {
    if (this.known.size === 0) return value;
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((item) => this.redactDeep(item)) as T;
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.redactDeep(v)])) as T;
    }
    return value;
  }
}

/** Reads one reference; fails with the reason (unset variable, unreadable file), never the value. */
export async function readSecret(ref: SecretReference, env: NodeJS.ProcessEnv = process.env, baseDir = process.cwd()): Promise<string> {
  const [kind, ...rest] = ref.secret.split(':');
  const name = rest.join(':');
  let value: string;
  if (kind === 'env') {
    const fromEnv = env[name];
    if (fromEnv === undefined) throw new SecretResolutionError(ref, `the environment variable ${name} is not set on the worker`);
    value = fromEnv;
  } else if (kind === 'file') {
    try {
      // One trailing newline is an artefact of how files are written (echo, editors), not part of the secret.
      value = (await fs.readFile(path.resolve(baseDir, name), 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      throw new SecretResolutionError(ref, `the worker cannot read ${name} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  } else {
    throw new SecretResolutionError(ref, 'the reference must start with env: or file:');
  }
  // No program argument or environment variable can hold a NUL byte, and the error Node would
  // raise quotes the value: refuse it here, saying only why.
  if (value.includes('\u0000')) throw new SecretResolutionError(ref, 'the value contains a NUL byte');
  return value;
}
