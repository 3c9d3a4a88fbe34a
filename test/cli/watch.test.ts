/**
 * `tugboat watch` as a person runs it, against a real deployment on the test server: on a terminal
 * (a pseudo-terminal from util-linux's `script`) the live view redraws a frame in place; piped, or
 * with --plain, it prints plain lines; it exits as `tugboat status` does.
 */
import path from 'node:path';
import { runCommand, type CommandResult } from '../../src/system/process';
import { ExitCode } from '../../src/cli/exit-codes';
import { watchDeployment } from '../../src/cli/watch';
import { testEnv } from '../support/temporal-env';
import { waitFor } from '../support/wait';
import { useWorld } from '../support/world';
import { DIAMOND_SERVICES } from '../support/diamond';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'tugboat.js');

/** The diamond a → (b, c) → d; every service declares a duration, so the view has an ETA. */
const SERVICES = DIAMOND_SERVICES;

/** SGR colours, cursor movement, erasing, synchronized output: what a terminal acts on, not text. */
const CSI = /\x1b\[[0-?]*[ -/]*[@-~]/g;
const text = (raw: string) => raw.replace(CSI, '').replace(/\r/g, '');

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: testEnv().address, TERM: 'xterm-256color', ...extra };
  // CI runs these tests with CI=true, which (rightly) turns the live view off.
  delete base.CI;
  delete base.NO_COLOR;
  return base;
}

/**
 * Run argv on a 100×40 pseudo-terminal. `script -c` takes one shell command: it is a fixed text
 * that only expands the arguments, passed as environment variables, so nothing in them is parsed.
 */
function onTerminal(argv: string[], onOutput?: (line: string) => void): Promise<CommandResult> {
  const args: NodeJS.ProcessEnv = {};
  argv.forEach((arg, i) => (args[`TUGBOAT_PTY_ARG${i}`] = arg));
  const command = `stty cols 100 rows 40; exec ${argv.map((_, i) => `"$TUGBOAT_PTY_ARG${i}"`).join(' ')}`;
  return runCommand(['script', '--quiet', '--flush', '--return', '--command', command, '/dev/null'], { cwd: ROOT, env: env(args), onOutput });
}

function piped(argv: string[], onOutput?: (line: string) => void): Promise<CommandResult> {
  return runCommand(argv, { cwd: ROOT, env: env(), onOutput });
}

describe('tugboat watch', () => {
  const world = useWorld('watch-cli');
  afterEach(async () => {
    for (const h of await world.cloud.holds()) await world.cloud.release(h.service, h.op);
  });

  it('a deployment terminated while watched fails the watch (exit 1), saying so and the last phase seen, never reported as still DEPLOYING', async () => {
    const manifest = world.manifest(SERVICES, { environment: 'terminated' });
    const { workflowId, handle } = await world.startHeld('bravo', 'apply', () => world.deploy(manifest));
    const lines: string[] = [];
    const watching = watchDeployment(world.client, world.client.workflow.getHandle(workflowId), { print: (l) => lines.push(l) });
    await waitFor(() => lines.some((l) => /bravo +RUNNING/.test(l)), { what: 'bravo running, as watched', timeoutMs: 30_000 });
    await handle.terminate('operator gave up');
    await expect(watching).rejects.toMatchObject({
      exitCode: ExitCode.failed,
      message: expect.stringMatching(/ended TERMINATED \(operator gave up\): the last phase seen was DEPLOYING/),
    });
  });

  it('on a terminal, redraws a live view in place until the end; its last frame names every service and the phase', async () => {
    const manifest = world.manifest(SERVICES, { environment: 'live' });
    const { deploymentId } = await world.startHeld('bravo', 'apply', () => world.deploy(manifest));
    let output = '';
    const watching = onTerminal([process.execPath, CLI, 'watch', deploymentId], (line) => (output += `${line}\n`));

    // A frame while bravo is held: the plan was read from the deployment's start (critical path, declared durations).
    await waitFor(() => /bravo +RUNNING/.test(text(output)) && /charlie +SUCCEEDED/.test(text(output)), {
      what: 'a frame with bravo running and charlie done',
      timeoutMs: 30_000,
    });
    const during = text(output);
    expect(during).toMatch(new RegExp(`${world.name} → live {3}DEPLOYING`));
    expect(during).toMatch(/^ETA [~≥].*durations: declared \(simulate\)/m);
    expect(during).toMatch(/^critical path left: bravo → delta/m);
    await world.cloud.release('bravo', 'apply');
    const result = await watching;

    expect(result.code).toBe(0);
    const raw = result.stdout;
    // Redrawn in place: lines erased and the cursor moved up over the previous frame, more than once.
    expect(raw).toMatch(/\x1b\[2K/);
    expect(raw).toMatch(/\x1b\[\d*A/);
    expect(text(raw).match(/ SERVICE +STATE +ATTEMPT/g)?.length).toBeGreaterThan(1);
    // The last frame: what follows the last redraw, up to the blank line before the report.
    const last = text(raw.slice(raw.lastIndexOf('\x1b[G'))).split('\n\n')[0];
    expect(last).toMatch(new RegExp(`^${world.name} → live {3}SUCCEEDED`, 'm'));
    for (const s of SERVICES) expect(last).toMatch(new RegExp(`^ {2}✓ ${s.name} +SUCCEEDED`, 'm'));
    // Then the report, as after a deploy.
    expect(text(raw)).toMatch(/^deployment record: /m);
    expect(text(raw)).toMatch(/^SUCCEEDED in [\d.]+s wall time/m);
  });

  it('piped, or with --plain on a terminal, prints plain lines as the transitions happen', async () => {
    const manifest = world.manifest(SERVICES, { environment: 'plain' });
    const { deploymentId } = await world.startHeld('bravo', 'apply', () => world.deploy(manifest));
    let pipedOut = '';
    let terminalOut = '';
    const ref = `${world.name}/plain`;
    const viaPipe = piped([process.execPath, CLI, 'watch', ref], (line) => (pipedOut += `${line}\n`));
    const viaTerminal = onTerminal([process.execPath, CLI, 'watch', deploymentId, '--plain'], (line) => (terminalOut += `${line}\n`));
    await waitFor(() => /bravo +RUNNING/.test(pipedOut) && /bravo +RUNNING/.test(text(terminalOut)), {
      what: 'both watchers to print bravo RUNNING',
      timeoutMs: 30_000,
    });
    await world.cloud.release('bravo', 'apply');
    const [p, t] = await Promise.all([viaPipe, viaTerminal]);

    expect(p.code).toBe(0);
    expect(t.code).toBe(0);
    for (const out of [p.stdout, t.stdout]) {
      // No cursor movement or erasing: each line stays where it was printed.
      expect(out).not.toMatch(/\x1b\[\d*[AG]|\x1b\[2K/);
      const lines = text(out);
      expect(lines).toMatch(/^ +[\d.]+s {2}phase DEPLOYING$/m);
      expect(lines).toMatch(/^ +[\d.]+s {2}bravo +RUNNING/m);
      expect(lines).toMatch(/^ +[\d.]+s {2}phase SUCCEEDED$/m);
      for (const s of SERVICES) expect(lines).toMatch(new RegExp(`^ +[\\d.]+s {2}${s.name} +SUCCEEDED`, 'm'));
      // Then the full status, every service named under its wave.
      expect(lines).toMatch(new RegExp(`^${world.name} → plain {3}SUCCEEDED`, 'm'));
      expect(lines).toMatch(/^wave 3\n {2}delta +SUCCEEDED/m);
    }
    expect(p.stdout).not.toContain('\x1b');
  });

  it('exits as tugboat status does: 1 for a rolled-back deployment, 2 for one that does not exist', async () => {
    const failing = world.manifest(
      [SERVICES[0], { name: 'broken', type: 'shell', dependencies: ['alpha'], simulate: { duration: '10ms', fail_permanent: true } }],
      { environment: 'failing' },
    );
    const { handle } = await world.deploy(failing);
    await handle.result().catch(() => undefined);
    const ended = await piped([process.execPath, CLI, 'watch', `${world.name}/failing`]);
    expect(ended.code).toBe(1);
    expect(ended.stdout).toMatch(/phase ROLLED_BACK/);
    expect(ended.stdout).toMatch(/broken +ROLLED_BACK +PermanentDeployError: .*simulated permanent failure/);

    const missing = await piped([process.execPath, CLI, 'watch', `${world.name}/nowhere`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/error: .*nowhere/);
  });
});
