/** Secret references: finding them in a config, resolving them, and redacting every form of a value. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findSecretReferences, secretReferenceSchema } from './reference';
import { readSecret, SecretBag, SecretResolutionError } from './resolve';

describe('secret references', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-secrets-unit-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('are found wherever a config holds one, with their paths', () => {
    const config = { env: { A: { secret: 'env:A' }, B: 'plain' }, list: [{ secret: 'file:./x' }] };
    expect(findSecretReferences(config)).toEqual([
      { ref: { secret: 'env:A' }, path: 'config.env.A' },
      { ref: { secret: 'file:./x' }, path: 'config.list[0]' },
    ]);
    expect(secretReferenceSchema.safeParse({ secret: 'vault:x' }).success).toBe(false);
  });

  it('resolve from the environment and from files relative to the manifest, saying why not without the value', async () => {
    fs.writeFileSync(path.join(dir, 'pw'), 'from-a-file\n');
    expect(await readSecret({ secret: 'env:TOKEN' }, { TOKEN: 'from-env' })).toBe('from-env');
    expect(await readSecret({ secret: 'file:./pw' }, {}, dir)).toBe('from-a-file');
    await expect(readSecret({ secret: 'env:MISSING' }, {})).rejects.toThrow('the environment variable MISSING is not set on the worker');
    await expect(readSecret({ secret: 'file:./nope' }, {}, dir)).rejects.toBeInstanceOf(SecretResolutionError);
    const nul = await readSecret({ secret: 'env:BAD' }, { BAD: 'abc\u0000defgh' }).catch((e: Error) => e.message);
    expect(nul).toBe('cannot resolve [secret env:BAD]: the value contains a NUL byte');
  });

  it('redact the whole value, each of its lines, and its JSON-escaped form', async () => {
    const pem = '-----BEGIN KEY-----\nAAAAsecretline\n-----END KEY-----';
    const bag = new SecretBag({ KEY: pem, QUOTED: 'pa"ss\\word' });
    await bag.resolve({ secret: 'env:KEY' });
    await bag.resolve({ secret: 'env:QUOTED' });
    expect(bag.redact(`got ${pem}`)).toBe('got [secret env:KEY]');
    expect(bag.redact('line: AAAAsecretline')).toBe('line: [secret env:KEY]');
    expect(bag.redact(JSON.stringify({ p: 'pa"ss\\word' }))).toBe('{"p":"[secret env:QUOTED]"}');
    expect(bag.redactDeep({ a: ['x AAAAsecretline'] })).toEqual({ a: ['x [secret env:KEY]'] });
    expect(bag.labels()).toEqual(new Set(['[secret env:KEY]', '[secret env:QUOTED]']));
  });
});
