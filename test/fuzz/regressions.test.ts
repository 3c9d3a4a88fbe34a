/**
 * Every case the fuzzer found (FUZZ.md), with its concrete input, fixed in the owning module.
 * Each test failed before its fix.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { ManifestError } from '../../src/manifest/errors';
import { loadManifestFile, parseManifestBytes } from '../../src/manifest/load';
import { parseManifestText } from '../../src/manifest/parse';
import { validateManifest } from '../../src/manifest/validate';
import { parseTask } from '../../src/ingress/task';
import { startSimCloud, type RunningSimCloud } from '../../src/simcloud';
import { operatorInputProblem } from '../../src/api/messages';
import { updateRefusals } from '../../src/workflows/operator-handlers';
import { requestContext } from '../support/request-context';

const VALID = { deployment: { name: 'shop', environment: 'prod', services: [{ name: 'api', type: 'docker', executor: 'simulated' }] } };
const VALID_YAML = 'deployment:\n  name: shop\n  environment: prod\n  services:\n    - name: api\n      type: docker\n      executor: simulated\n';
const withConfig = (config: string) => `${VALID_YAML}      config:\n${config}`;

function refusal(bytes: Uint8Array | string, name = 'm.yaml'): string {
  const result = parseManifestBytes(typeof bytes === 'string' ? Buffer.from(bytes) : bytes, name);
  if (result.ok) throw new Error('accepted');
  return result.issues.map((i) => `${i.path}: ${i.message}`).join('\n');
}

describe('manifest inputs the fuzzer found', () => {
  it('a JSON manifest behind a UTF-8 byte order mark is read (was "invalid JSON: Unexpected token")', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(VALID))]);
    expect(parseManifestBytes(bytes, 'm.json').ok).toBe(true);
  });

  it('a UTF-16 manifest (LE and BE, with its byte order mark) is read (was a mapping of NUL-riddled text)', () => {
    const le = Buffer.from(`\uFEFF${VALID_YAML}`, 'utf16le');
    expect(parseManifestBytes(le, 'm.yaml').ok).toBe(true);
    expect(parseManifestBytes(Buffer.from(le).swap16(), 'm.yaml').ok).toBe(true);
  });

  it('bytes that are not UTF-8 are refused with the offset, through the file loader the CLI uses', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-fuzz-regression-'));
    try {
      const file = path.join(dir, 'm.yaml');
      fs.writeFileSync(file, Buffer.from([0x64, 0x65, 0xff, 0x80, 0x0a]));
      const error = await loadManifestFile(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ManifestError);
      expect((error as ManifestError).message).toBe('manifest: not UTF-8 text (invalid byte 0xff at offset 2); save the manifest as UTF-8');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a YAML alias bomb is a ManifestError (was a ReferenceError out of the yaml library)', () => {
    const bomb =
      'l0: &l0 ["lol", "lol", "lol", "lol"]\nl1: &l1 [*l0, *l0, *l0, *l0]\nl2: &l2 [*l1, *l1, *l1, *l1]\nl3: &l3 [*l2, *l2, *l2, *l2]\n' +
      withConfig('        boom: *l3\n');
    expect(refusal(bomb)).toMatch(/^manifest: YAML aliases \(\*name\) expand to too many nodes.*alias bomb/);
  });

  it('deep nesting is refused by the documented limit (was a RangeError: Maximum call stack size exceeded)', () => {
    const deep = `{"deployment":{"name":"d","environment":"p","services":[{"name":"s","type":"docker","executor":"simulated","config":{"x":${'['.repeat(5000)}${']'.repeat(5000)}}}]}}`;
    expect(refusal(deep, 'm.json')).toMatch(/^deployment\.services\[0\]\.config\.x(\[0\])+: nested more than 64 levels deep/);
    expect(refusal(withConfig(`        x: ${'['.repeat(5000)}${']'.repeat(5000)}\n`))).toMatch(/nested too deeply to read \(the limit is 64 levels\)/);
  });

  it('a key written twice in JSON is refused as in YAML (JSON.parse kept the last one silently)', () => {
    const text = '{"deployment":{"environment":"staging","name":"shop","environment":"prod","services":[{"name":"api","type":"docker","executor":"simulated"}]}}';
    expect(refusal(text, 'm.json')).toBe('deployment.environment: duplicate key "environment"; keys in a mapping must be unique, remove or rename one');
  });

  it('values JSON cannot carry are refused, not changed on their way to the worker', () => {
    expect(refusal(withConfig('        replicas: .nan\n'))).toBe(
      'deployment.services[0].config.replicas: NaN is not a number JSON can carry; write a finite number, or quote it as a string',
    );
    expect(refusal(withConfig('        hosts: !!set {a, b}\n'))).toMatch(/^deployment\.services\[0\]\.config\.hosts: a Set .* is not plain data/);
  });

  it('a "__proto__" key is refused (it was dropped silently when the document was copied)', () => {
    expect(refusal(withConfig('        __proto__: {admin: true}\n'))).toBe(
      'deployment.services[0].config: key "__proto__" is not allowed: it would be dropped when the manifest is copied; rename it',
    );
    const raw = JSON.parse('{"deployment":{"name":"s","environment":"p","services":[{"name":"a","type":"docker","executor":"simulated","config":{"__proto__":{"x":1}}}]}}') as unknown;
    expect(validateManifest(raw).ok).toBe(false);
  });

  it('"constructor" and "prototype" keys stay ordinary data', () => {
    const result = parseManifestText(withConfig('        constructor: 1\n        prototype: 2\n'));
    expect(result.ok && result.manifest.deployment.services[0].config).toEqual({ constructor: 1, prototype: 2 });
  });
});

describe('the sim cloud HTTP requests the fuzzer found', () => {
  let sim: RunningSimCloud;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tugboat-fuzz-simcloud-'));
    sim = await startSimCloud({ port: 0, stateFile: path.join(dir, 'simcloud.json') });
  });
  afterAll(async () => {
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Raw, so the request line is exactly what a hostile client sends. */
  function raw(requestLine: string, body = ''): Promise<{ status: number; body: string }> {
    const url = new URL(sim.url);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(url.port), url.hostname);
      const chunks: Buffer[] = [];
      socket.on('data', (c) => chunks.push(c));
      socket.on('error', reject);
      socket.on('close', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: Number(text.slice(9, 12)), body: text.slice(text.indexOf('\r\n\r\n') + 4) });
      });
      socket.write(`${requestLine} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
  }

  it('GET /services/constructor is a 404 (was a 500: the state map answered with Object\'s constructor)', async () => {
    const answer = await raw('GET /services/constructor');
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toEqual({ error: { code: 'not_found', message: 'service "constructor" is not deployed', retryable: false } });
    expect(JSON.parse((await raw('GET /health/__proto__')).body)).toEqual({ status: 'absent' });
  });

  it('a service named "constructor" deploys like any other', async () => {
    const body = JSON.stringify({ deploymentId: 'dep-1', type: 'docker', idempotencyKey: 'k-1' });
    const answer = await raw('POST /services/constructor/apply', body);
    expect(answer.status).toBe(200);
    expect(JSON.parse((await raw('GET /services/constructor')).body)).toMatchObject({ service: 'constructor', deploymentId: 'dep-1' });
  });

  it('a target of "//" is a JSON 404 (was a 500 "Invalid URL")', async () => {
    const answer = await raw('DELETE //');
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body).error.code).toBe('not_found');
  });

  it('a method Node cannot parse gets a JSON 400 (was Node\'s bare "400 Bad Request")', async () => {
    const answer = await raw('WBZA /control/overrides/x');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error).toMatchObject({ code: 'bad_request', retryable: false });
  });
});

describe('ingress tasks the fuzzer found', () => {
  it('an id of the wrong type is named (the task was refused with no problem at all)', () => {
    expect(parseTask('{"id":true,"manifest_path":"M#3","requested_by":""}')).toEqual({
      ok: false,
      id: expect.stringMatching(/^malformed-[0-9a-f]{16}$/),
      problems: ['task.id: must be a string of 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit'],
    });
  });
});

describe('operator payloads the fuzzer found', () => {
  const ctx = requestContext({ services: { db: 'AWAITING_APPROVAL', api: 'PENDING' } });

  it('pause with a number, a string or a list is refused (the validator ignored its input and accepted)', () => {
    expect(updateRefusals.pause({}, ctx)).toBeUndefined();
    expect(updateRefusals.pause(42, ctx)).toBe('the input must be an object such as {"reason": "…", "by": "…"} (both optional), got a number (42)');
    expect(updateRefusals.pause('now', ctx)).toMatch(/^the input must be an object/);
    expect(updateRefusals.request_cancel([], ctx)).toMatch(/^the input must be an object .* got a list$/);
  });

  it('a field of the wrong type or an unknown field is refused, naming it', () => {
    expect(updateRefusals.approve({ service: 5 }, ctx)).toBe('service must be a string, got a number (5)');
    expect(updateRefusals.approve({ services: 'db' }, ctx)).toBe('unknown field "services"; the fields are reason, by, service');
    expect(updateRefusals.continue_rollback({ skip: 'db' }, { ...ctx, phase: 'ROLLBACK_BLOCKED' })).toBe('skip must be a list of strings, got a string ("db")');
    expect(operatorInputProblem('plain', { by: 'ana', reason: 'incident' })).toBeUndefined();
    expect(operatorInputProblem('plain', null)).toBeUndefined();
  });

  it('"constructor" is no service (it passed the name check through the prototype)', () => {
    expect(updateRefusals.approve({ service: 'constructor' }, ctx)).toBe('no service named "constructor"; the services are db, api');
  });

  it('a long skip list is refused quoting only its first entries, cut short', () => {
    const blocked = { ...ctx, phase: 'ROLLBACK_BLOCKED' as const, blocked: [{ service: 'db', resources: [{ id: 'db-1', kind: 'instance' }], error: 'boom' }] };
    const answer = updateRefusals.continue_rollback({ skip: Array.from({ length: 1000 }, (_, i) => `${i}-${'x'.repeat(250)}`) }, blocked) as string;
    expect(answer).toMatch(/^not blocked: 0-x{61}…, 1-x{61}…, .* and 995 more; blocked are db, db-1$/);
    expect(answer.length).toBeLessThan(500);
  });

  it('an over-long service name is refused without quoting it whole', () => {
    const answer = updateRefusals.approve({ service: 'x'.repeat(100_000) }, ctx) as string;
    expect(answer).toMatch(/^service must be a service name \(1-63 characters\)/);
    expect(answer.length).toBeLessThan(200);
  });
});
