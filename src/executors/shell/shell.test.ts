/**
 * The shell executor against real processes: scripts written into a temp dir (the manifest's
 * directory, as far as the executor knows), run with the environment, files and classification
 * the README promises.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { serviceSchema } from '../../manifest/schema';
import { waitFor } from '../../../test/support/wait';
import { PermanentDeployError, TransientDeployError } from '../errors';
import { tempDir, testContext, testDependencies, type TestContextOptions } from '../testing';
import type { DeploymentRef, ExecutorDependencies } from '../types';
import { shellConfigSchema } from './schema';
import { shellExecutor } from '.';

const SECRET = 'hunter2-very-secret';
const WORKER_ENV = { PATH: process.env.PATH, HOME: process.env.HOME, DB_PASSWORD: SECRET, WORKER_TOKEN: 'worker-only' };

describe('shell executor', () => {
  let dir: string;
  let deps: ExecutorDependencies;
  beforeEach(() => {
    dir = fs.realpathSync(tempDir('shell'));
    deps = testDependencies(path.join(dir, 'home'), { env: WORKER_ENV });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** An executable `#!/bin/sh` script in the manifest's directory; returns its ./ path. */
  const script = (name: string, body: string, mode = 0o755): string => {
    fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode });
    return `./${name}`;
  };
  const service = (config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    name: 'migrate',
    type: 'shell',
    version: 'v2',
    config,
    ...extra,
  });
  const ctx = (entry: Record<string, unknown>, opts: TestContextOptions & { deployment?: Partial<DeploymentRef> } = {}) =>
    testContext(entry, { env: WORKER_ENV, ...opts, deployment: { id: 'dep-2', baseDir: dir, ...opts.deployment } });
  const executor = () => shellExecutor.create(deps);
  const target = (entry: Record<string, unknown>, id = 'dep-2') => {
    const c = ctx(entry, { deployment: { id } });
    return { deployment: c.deployment, service: c.service };
  };

  it('its examples are valid service entries with a valid shell config', () => {
    expect(shellExecutor.examples.length).toBeGreaterThan(0);
    for (const example of shellExecutor.examples) {
      const [entry] = parseDocument(example).toJS() as Array<{ config: unknown }>;
      expect(serviceSchema.safeParse(entry).error).toBeUndefined();
      expect(shellConfigSchema.safeParse(entry.config).error).toBeUndefined();
    }
  });

  it('runs `run` with the TUGBOAT_ variables and its env, and returns what it wrote to $TUGBOAT_OUTPUTS', async () => {
    fs.mkdirSync(path.join(dir, 'work'));
    const run = script(
      'deploy.sh',
      `cat > "$TUGBOAT_OUTPUTS" <<JSON
{"outputs": {"endpoint": "db.$TUGBOAT_SERVICE:$1", "port": 5432, "file": "$TUGBOAT_OUTPUTS",
  "seen": "$TUGBOAT_DEPLOYMENT_ID|$TUGBOAT_VERSION|$TUGBOAT_IDEMPOTENCY_KEY|$LOG_LEVEL|$PWD|\${WORKER_TOKEN:-not inherited}"},
 "resources": [{"id": "db-1", "kind": "table"}, "db-2"]}
JSON`,
    );
    const entry = service({ run: [run, 'arg with spaces'], cwd: 'work', env: { LOG_LEVEL: 'info' } });
    const result = await executor().apply(ctx(entry));

    expect(result).toMatchObject({ outcome: 'created', version: 'v2', resources: [{ id: 'db-1', kind: 'table' }, { id: 'db-2', kind: 'resource' }] });
    expect(result.outputs).toMatchObject({
      endpoint: 'db.migrate:arg with spaces',
      port: '5432',
      seen: `dep-2|v2|dep-2:migrate:apply|info|${path.join(dir, 'work')}|not inherited`,
    });
    // Private to the command, under the data dir, and gone once it ended.
    expect(result.outputs.file.startsWith(path.join(deps.dataDir, 'shell'))).toBe(true);
    expect(fs.existsSync(path.dirname(result.outputs.file))).toBe(false);
    expect(await deps.serviceState.getServiceState({ name: 'test', environment: 'dev', service: 'migrate' })).toMatchObject({
      deploymentId: 'dep-2',
      executor: 'shell',
      version: 'v2',
      outputs: result.outputs,
      resources: result.resources,
    });
  });

  it('reports created on a re-run of the same deployment and updated over an earlier one', async () => {
    const entry = service({ run: [script('ok.sh', 'exit 0')] });
    expect((await executor().apply(ctx(entry, { deployment: { id: 'dep-1' } }))).outcome).toBe('created');
    expect((await executor().apply(ctx(entry, { deployment: { id: 'dep-1' } }))).outcome).toBe('created');
    expect((await executor().apply(ctx(entry, { deployment: { id: 'dep-2' } }))).outcome).toBe('updated');
  });

  it('gives a secret to the script but never returns, beats or reports its value', async () => {
    const proof = path.join(dir, 'proof.txt');
    const run = script(
      'secret.sh',
      `printf %s "$DB_PASSWORD" > "${proof}"
echo "connecting with $DB_PASSWORD"
printf '{"outputs": {"dsn": "postgres://app:%s@db"}}' "$DB_PASSWORD" > "$TUGBOAT_OUTPUTS"`,
    );
    const heartbeats: unknown[] = [];
    const entry = service({ run: [run], env: { DB_PASSWORD: { secret: 'env:DB_PASSWORD' } } });
    const result = await executor().apply(ctx(entry, { heartbeats }));
    expect(fs.readFileSync(proof, 'utf8')).toBe(SECRET);
    expect(result.outputs.dsn).toBe('postgres://app:[secret env:DB_PASSWORD]@db');
    expect(heartbeats).toContainEqual({ line: 'connecting with [secret env:DB_PASSWORD]' });
    const state = await deps.serviceState.getServiceState({ name: 'test', environment: 'dev', service: 'migrate' });
    expect(JSON.stringify([result, heartbeats, state])).not.toContain(SECRET);

    const failing = service({ run: [script('leak.sh', 'echo "auth failed for $DB_PASSWORD" >&2; exit 1')], env: { DB_PASSWORD: { secret: 'env:DB_PASSWORD' } } });
    const err = await executor().apply(ctx(failing)).catch((e: Error) => e);
    expect(err).toBeInstanceOf(PermanentDeployError);
    expect((err as Error).message).toContain('auth failed for [secret env:DB_PASSWORD]');
    expect((err as Error).message).not.toContain(SECRET);
  });

  it('classifies exits: a transient code is retried, any other failure is permanent', async () => {
    const apply = (run: string[], extra: Record<string, unknown> = {}) => executor().apply(ctx(service({ run, ...extra })));
    await expect(apply([script('tempfail.sh', 'echo throttled >&2; exit 75')])).rejects.toThrow(TransientDeployError);
    await expect(apply([script('three.sh', 'exit 3')], { transient_exit_codes: [3] })).rejects.toThrow(TransientDeployError);
    const failed = apply([script('fail.sh', 'echo "no such table" >&2; exit 2')]);
    await expect(failed).rejects.toThrow(PermanentDeployError);
    await expect(failed).rejects.toThrow(/exited 2:\nno such table/);
    await expect(apply([script('killed.sh', 'kill -9 $$')])).rejects.toThrow(/killed by SIGKILL/);
    await expect(apply([script('killed.sh', 'kill -9 $$')])).rejects.toThrow(PermanentDeployError);
  });

  it('fails permanently, naming the path, when the program cannot be started', async () => {
    const apply = (run: string[], extra: Record<string, unknown> = {}) => executor().apply(ctx(service({ run, ...extra })));
    await expect(apply(['./missing.sh'])).rejects.toThrow(PermanentDeployError);
    await expect(apply(['./missing.sh'])).rejects.toThrow(`the run command cannot start: ${path.join(dir, 'missing.sh')} does not exist`);
    await expect(apply([script('plain.sh', 'exit 0', 0o644)])).rejects.toThrow(`${path.join(dir, 'plain.sh')} is not executable`);
    await expect(apply(['tugboat-no-such-program'])).rejects.toThrow(PermanentDeployError);
    await expect(apply(['tugboat-no-such-program'])).rejects.toThrow(/tugboat-no-such-program is not on the worker's PATH/);
    await expect(apply([script('ok.sh', 'exit 0')], { cwd: 'nowhere' })).rejects.toThrow(`the working directory ${path.join(dir, 'nowhere')} does not exist`);
  });

  it('fails permanently on a malformed outputs file, saying what is wrong', async () => {
    const apply = (body: string) => executor().apply(ctx(service({ run: [script('out.sh', body)] })));
    await expect(apply(`echo '{"outputs": ' > "$TUGBOAT_OUTPUTS"`)).rejects.toThrow(PermanentDeployError);
    await expect(apply(`echo '{"outputs": ' > "$TUGBOAT_OUTPUTS"`)).rejects.toThrow(/outputs file.*not valid JSON/);
    await expect(apply(`echo '{"output": {}}' > "$TUGBOAT_OUTPUTS"`)).rejects.toThrow(/unknown key "output"/);
    await expect(apply(`echo '{"resources": [{"kind": "vm"}]}' > "$TUGBOAT_OUTPUTS"`)).rejects.toThrow(/resources\[0\]/);
    expect(await deps.serviceState.getServiceState({ name: 'test', environment: 'dev', service: 'migrate' })).toBeUndefined();
  });

  it('heartbeats output lines', async () => {
    const heartbeats: unknown[] = [];
    await executor().apply(ctx(service({ run: [script('chatty.sh', 'echo "step one"; echo "step two" >&2')] }), { heartbeats }));
    expect(heartbeats).toContainEqual({ line: 'step one' });
  });

  it('verifies with the verify command, or by the run having succeeded', async () => {
    const verify = (config: Record<string, unknown>) => executor().verify(ctx(service({ run: ['true'], ...config }), { step: 'verify' }));
    expect(await verify({})).toEqual({ healthy: true, version: 'v2', detail: 'no verify command; run succeeded' });
    expect(await verify({ verify: [script('up.sh', 'exit 0')] })).toMatchObject({ healthy: true });
    const down = await verify({ verify: [script('down.sh', 'echo "connection refused" >&2; exit 1')] });
    expect(down.healthy).toBe(false);
    expect(down.detail).toMatch(/exited 1:\nconnection refused/);
  });

  describe('rollback', () => {
    const key = { name: 'test', environment: 'dev', service: 'migrate' };
    /** Writes what the undo command was given to a file the test reads. */
    const undoScript = () =>
      script(
        'undo.sh',
        `{ echo "undo=$TUGBOAT_UNDO"; echo "version=\${TUGBOAT_PREVIOUS_VERSION-unset}"; echo "key=$TUGBOAT_IDEMPOTENCY_KEY"
  echo "outputs_file=\${TUGBOAT_PREVIOUS_OUTPUTS-unset}"
  if [ -n "$TUGBOAT_PREVIOUS_OUTPUTS" ]; then echo "outputs=$(cat "$TUGBOAT_PREVIOUS_OUTPUTS")"; fi
} > "${path.join(dir, 'undo.txt')}"`,
      );
    const undoSaw = () => Object.fromEntries(fs.readFileSync(path.join(dir, 'undo.txt'), 'utf8').trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
    const run = () => script('run.sh', `echo "{\\"outputs\\": {\\"url\\": \\"https://$TUGBOAT_VERSION\\"}, \\"resources\\": [\\"r-$TUGBOAT_VERSION\\"]}" > "$TUGBOAT_OUTPUTS"`);

    it('deletes what this deployment created', async () => {
      const entry = service({ run: [run()], undo: [undoScript()] });
      expect(await executor().snapshot(target(entry), new AbortController().signal)).toBeNull();
      await executor().apply(ctx(entry));
      const outcome = await executor().compensate(ctx(entry, { step: 'compensate' }), 'delete', null);
      expect(outcome).toEqual({ action: 'delete', outcome: 'deleted', resources: [{ id: 'r-v2', kind: 'resource' }] });
      expect(undoSaw()).toEqual({ undo: 'delete', version: 'unset', key: 'dep-2:migrate:compensate', outputs_file: 'unset' });
      expect(await deps.serviceState.getServiceState(key)).toBeUndefined();
    });

    it('restores the previous deployment: its version, its outputs, its state record', async () => {
      const v1 = service({ run: [run()], undo: [undoScript()] }, { version: 'v1' });
      await executor().apply(ctx(v1, { deployment: { id: 'dep-1' } }));
      const before = await deps.serviceState.getServiceState(key);

      const v2 = service({ run: [run()], undo: [undoScript()] });
      const previous = await executor().snapshot(target(v2), new AbortController().signal);
      expect(previous).toMatchObject({ version: 'v1', outputs: { url: 'https://v1' } });
      expect((await executor().apply(ctx(v2))).outcome).toBe('updated');
      const outcome = await executor().compensate(ctx(v2, { step: 'compensate' }), 'restore', previous);

      expect(outcome).toEqual({ action: 'restore', outcome: 'restored', resources: [{ id: 'r-v1', kind: 'resource' }] });
      const saw = undoSaw();
      expect(saw).toMatchObject({ undo: 'restore', version: 'v1', outputs: '{"url":"https://v1"}' });
      expect(fs.existsSync(saw.outputs_file)).toBe(false);
      expect(await deps.serviceState.getServiceState(key)).toEqual(before);
    });

    it('retains the service, with its resources, when there is no undo command', async () => {
      const entry = service({ run: [run()] });
      await executor().apply(ctx(entry));
      expect(await executor().compensate(ctx(entry, { step: 'compensate' }), 'delete', null)).toEqual({
        action: 'retain',
        outcome: 'retained (no undo command)',
        resources: [{ id: 'r-v2', kind: 'resource' }],
      });
      expect(await deps.serviceState.getServiceState(key)).toBeDefined();
    });

    it('fails the compensation as the undo command exits', async () => {
      const entry = service({ run: [run()], undo: [script('stuck.sh', 'echo "lock held" >&2; exit 75')] });
      await executor().apply(ctx(entry));
      await expect(executor().compensate(ctx(entry, { step: 'compensate' }), 'delete', null)).rejects.toThrow(TransientDeployError);
      expect(await deps.serviceState.getServiceState(key)).toBeDefined();
    });
  });

  it('lists the inventory each service prints, and reports services without a command as unverifiable', async () => {
    const listed = script('list.sh', `echo '["i-1", {"id": "i-2", "kind": "vm"}]'`);
    const [a, b] = [service({ run: ['true'], inventory: [listed] }, { name: 'api' }), service({ run: ['true'] }, { name: 'jobs' })];
    const { deployment } = target(a);
    const report = await executor().inventory(deployment, [target(a).service, target(b).service], new AbortController().signal);
    expect(report).toEqual({
      items: [
        { id: 'i-1', kind: 'resource', service: 'api', deploymentId: 'dep-2' },
        { id: 'i-2', kind: 'vm', service: 'api', deploymentId: 'dep-2' },
      ],
      unverifiable: [{ service: 'jobs', reason: 'no inventory command' }],
    });

    const garbled = target(service({ run: ['true'], inventory: [script('bad.sh', 'echo "i-1 i-2"')] }));
    await expect(executor().inventory(deployment, [garbled.service], new AbortController().signal)).rejects.toThrow(PermanentDeployError);
    await expect(executor().inventory(deployment, [garbled.service], new AbortController().signal)).rejects.toThrow(/not valid JSON/);
  });

  it('preflight finds a missing script, a program not on PATH, a script that is not executable and a missing cwd', async () => {
    const good = service({ run: [script('ok.sh', 'exit 0')], verify: ['sh', '-c', 'exit 0'] });
    expect(await executor().preflight!(target(good), new AbortController().signal)).toEqual([]);

    const bad = service({
      run: ['./scripts/missing.sh'],
      undo: [script('plain.sh', 'exit 0', 0o644)],
      verify: ['tugboat-no-such-program'],
      cwd: 'nowhere',
    });
    const problems = await executor().preflight!(target(bad), new AbortController().signal);
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['config.cwd', `the working directory ${path.join(dir, 'nowhere')} does not exist`],
      ['config.run[0]', `${path.join(dir, 'scripts/missing.sh')} does not exist`],
      ['config.undo[0]', `${path.join(dir, 'plain.sh')} is not executable`],
      ['config.verify[0]', expect.stringContaining("tugboat-no-such-program is not on the worker's PATH")],
    ]);
    expect(problems.every((p) => p.fix)).toBe(true);
  });

  it('preflight leaves a program, cwd or PATH holding an output reference to the step, which resolves it', async () => {
    const later = (name: string) => `\${{ services.tools.outputs.${name} }}`;
    const entry = service({
      run: [later('deploy')],
      undo: [`./${later('bin')}/undo.sh`],
      verify: ['check-it'],
      cwd: `work/${later('dir')}`,
      env: { PATH: `${later('path')}:/usr/bin` },
    });
    expect(await executor().preflight!(target(entry), new AbortController().signal)).toEqual([]);
    // Still checked: what holds no reference.
    const missing = service({ run: [later('deploy')], verify: ['./missing.sh'], cwd: 'nowhere' });
    expect((await executor().preflight!(target(missing), new AbortController().signal)).map((p) => p.path)).toEqual(['config.cwd', 'config.verify[0]']);
  });

  describe('a command still running from an earlier attempt (its worker died; the group runs on)', () => {
    const log = () => path.join(dir, 'order.log');
    const lines = () => (fs.existsSync(log()) ? fs.readFileSync(log(), 'utf8').trim().split('\n') : []);
    const gate = () => path.join(dir, 'gate');
    /** `first` blocks on a FIFO until the test writes to it; every run appends its start and end. */
    const gated = () =>
      script(
        'gated.sh',
        `if [ "$1" = first ]; then mkfifo "${gate()}"; fi
echo "start $1 $$" >> "${log()}"
if [ "$1" = first ]; then read line < "${gate()}"; fi
echo "end $1" >> "${log()}"`,
      );
    const undo = () => script('undo-log.sh', `echo "undo" >> "${log()}"`);
    const waitingLine = /^waiting for the previous attempt's command \(process group (\d+)\) to finish$/;
    const waitingFor = (heartbeats: Array<{ line?: string }>) =>
      waitFor(() => heartbeats.map((b) => waitingLine.exec(b.line ?? '')?.[1]).find(Boolean), { timeoutMs: 10_000, what: 'the waiting heartbeat' });
    const firstPid = () => waitFor(() => /^start first (\d+)$/.exec(lines()[0] ?? '')?.[1], { timeoutMs: 10_000, what: 'the first run to start' });
    /** Whatever the test's outcome, the blocked script ends with it. */
    let stopFirst: AbortController;
    beforeEach(() => (stopFirst = new AbortController()));
    afterEach(() => stopFirst.abort());

    it("waits for it before running the step again, beating what it waits for", async () => {
      const run = gated();
      const first = executor().apply(ctx(service({ run: [run, 'first'] }), { signal: stopFirst.signal }));
      const pid = await firstPid();
      const heartbeats: Array<{ line?: string }> = [];
      const second = executor().apply(ctx(service({ run: [run, 'second'] }), { heartbeats }));
      expect(await waitingFor(heartbeats)).toBe(pid);
      expect(lines()).toEqual([`start first ${pid}`]);

      await fs.promises.writeFile(gate(), 'go\n');
      await Promise.all([first, second]);
      expect(lines()).toEqual([`start first ${pid}`, 'end first', expect.stringMatching(/^start second \d+$/), 'end second']);
      expect(fs.readdirSync(path.join(deps.dataDir, 'shell', 'running'))).toEqual([]);
    });

    it('makes the undo wait too, and when the waiting step is cancelled, stops that command with its group', async () => {
      const entry = (arg: string) => service({ run: [gated(), arg], undo: [undo()], kill_grace: '2s' });
      const first = executor().apply(ctx(entry('first'), { signal: stopFirst.signal }));
      first.catch(() => undefined); // asserted below
      const pid = Number(await firstPid());
      const abort = new AbortController();
      const heartbeats: Array<{ line?: string }> = [];
      const compensation = executor().compensate(ctx(entry('first'), { step: 'compensate', signal: abort.signal, heartbeats }), 'delete', null);
      expect(await waitingFor(heartbeats)).toBe(String(pid));

      abort.abort();
      await expect(compensation).rejects.toMatchObject({ name: 'AbortError' });
      await expect(first).rejects.toThrow(/killed by SIGTERM/);
      expect(isGone(pid)).toBe(true);
      expect(lines()).toEqual([`start first ${pid}`]);
    });
  });

  it('stops the whole process group when cancelled', async () => {
    const pids = { script: path.join(dir, 'script.pid'), child: path.join(dir, 'child.pid') };
    const run = script('hang.sh', `sleep 300 &\necho $! > "${pids.child}.tmp" && mv "${pids.child}.tmp" "${pids.child}"\necho $$ > "${pids.script}"\nwait`);
    const abort = new AbortController();
    const call = executor().apply(ctx(service({ run: [run], kill_grace: '500ms' }), { signal: abort.signal }));
    const readPid = (file: string) => (fs.existsSync(file) && /^\d+\n$/.test(fs.readFileSync(file, 'utf8')) ? Number(fs.readFileSync(file, 'utf8')) : undefined);
    const [scriptPid, childPid] = await waitFor(() => readPid(pids.child) !== undefined && readPid(pids.script) !== undefined && [readPid(pids.script)!, readPid(pids.child)!], {
      timeoutMs: 10_000,
      what: 'the script and its background child to start',
    });
    expect(isGone(scriptPid) || isGone(childPid)).toBe(false);

    abort.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    await waitFor(() => isGone(scriptPid) && isGone(childPid), { timeoutMs: 10_000, what: 'both processes to end' });
  });
});

/** Ended: no such process, or a zombie (where a container's init does not reap orphans, they linger as one). */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
