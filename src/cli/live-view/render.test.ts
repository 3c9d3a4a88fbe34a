/** The live view's frame on fixed inputs: what it shows, the ETA and critical path it computes, and how it fits a terminal. */
import type { ServiceStatus } from '../../client/status';
import { deploymentStatus, serviceStatus } from '../../../test/support/status-fixtures';
import { liveViewWanted } from './index';
import { clean, clock, estimate, renderFrame, type FrameOptions, type LiveStatus } from './render';

const T0 = Date.parse('2026-11-23T18:30:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

const service = (wave: number, extra: Partial<ServiceStatus> = {}) => serviceStatus({ wave, ...extra });
const status = (services: Record<string, ServiceStatus>, extra: Partial<LiveStatus> = {}): LiveStatus =>
  ({ ...deploymentStatus(services, { id: 'dep-20261123t183000000z-abc123', started_at: at(0) }), ...extra });

/**
 * vpc ─┬─ db (running 2 s of 5) ──┬─ api (3 s) ── web (1 s)
 *      └─ k8s (running 1 s of 2) ─┴─ mon (10 s)
 * At now = 4 s: db ends in 3 s, k8s in 1 s; api at 3+3 = 6 s, web at 7 s; mon at 1+10 = 11 s.
 * The remaining critical path is k8s → mon, though db → api → web is the longer chain.
 */
const NOW = T0 + 4_000;
const graph = { vpc: [], db: ['vpc'], k8s: ['vpc'], api: ['db', 'k8s'], mon: ['k8s'], web: ['api'] };
const declared = { vpc: 1_000, db: 5_000, k8s: 2_000, api: 3_000, mon: 10_000, web: 1_000 };
const running = () =>
  status({
    vpc: service(0, {
      state: 'SUCCEEDED',
      attempt: 1,
      started_at: at(0),
      ended_at: at(1_000),
      outputs: { vpc_id: 'vpc-1', version: 'v1' },
      steps: { apply: { attempts: 3, last_failure: 'throttled' }, verify: { attempts: 1, last_failure: null } },
    }),
    db: service(1, { state: 'RUNNING', attempt: 1, started_at: at(2_000), activity: 'creating instance' }),
    k8s: service(1, { state: 'RETRYING', attempt: 2, started_at: at(3_000), last_failure: 'quota exceeded' }),
    api: service(2),
    mon: service(2, { state: 'WAITING' }),
    web: service(3),
  });
const opts = (extra: Partial<FrameOptions> = {}): FrameOptions => ({ now: NOW, width: 120, color: false, dependencies: graph, planMs: declared, ...extra });
const plain = (lines: string[]) => lines.join('\n');

describe('estimate', () => {
  it('follows what is left: running services count what remains of theirs, the latest-ending chain is the path', () => {
    const est = estimate(running(), opts());
    expect(est.remainingMs).toBe(11_000);
    expect(est.path).toEqual(['k8s', 'mon']);
    expect(est.unknown).toEqual([]);
  });

  it('prefers learned durations over declared ones', () => {
    // mon learned at 2 s: now db → api → web decides (3 + 3 + 1 = 7 s).
    const est = estimate(running(), opts({ learnedMs: { mon: 2_000 } }));
    expect(est.remainingMs).toBe(7_000);
    expect(est.path).toEqual(['db', 'api', 'web']);
  });

  it('without any duration, the longest chain left by count and no ETA', () => {
    const est = estimate(running(), opts({ planMs: undefined }));
    expect(est.remainingMs).toBeNull();
    expect(est.path).toEqual(['db', 'api', 'web']);
    expect(est.unknown).toEqual(['db', 'k8s', 'api', 'mon', 'web']);
  });

  it('without the plan\'s dependencies, each wave waits for the whole wave before it', () => {
    // api and mon wait for db (3 s left): mon ends at 3 + 10 = 13 s; web waits for mon too: 14 s.
    const est = estimate(running(), opts({ dependencies: undefined }));
    expect(est.remainingMs).toBe(14_000);
    expect(est.path).toEqual(['db', 'mon', 'web']);
  });

  it('a service past its expected duration has nothing left, not a negative time', () => {
    const est = estimate(running(), opts({ now: T0 + 60_000 }));
    // db and k8s overdue (0 left): api 3 s then web 1 s = 4 s; mon 10 s.
    expect(est.remainingMs).toBe(10_000);
  });
});

describe('renderFrame', () => {
  it('shows the phase, the ETA and critical path left, and every service with its state, attempt and times', () => {
    const text = plain(renderFrame(running(), opts()));
    expect(text).toMatch(/^shop → prod {3}DEPLOYING {3}4\.0s {3}dep-20261123t183000000z-abc123$/m);
    expect(text).toMatch(/^ETA ~11\.0s {3}1\/6 services done {3}durations: declared \(simulate\)$/m);
    expect(text).toMatch(/^critical path left: k8s → mon {2}\(\* below\)$/m);
    // The attempts its steps took (apply: 3), though the latest step (verify) took one.
    expect(text).toMatch(/^ {2}✓ vpc +SUCCEEDED +3 +1\.0s +vpc_id=vpc-1$/m);
    expect(text).toMatch(/^ {2}> db +RUNNING +1 +2\.0s \/ ~5\.0s +creating instance$/m);
    expect(text).toMatch(/^ {2}↻\*k8s +RETRYING +2 +1\.0s \/ ~2\.0s +last failure: quota exceeded$/m);
    expect(text).toMatch(/^ {2}·\*mon +WAITING +- \/ ~10\.0s$/m);
    expect(text).toMatch(/^wave 4\n {2}· web +PENDING +- \/ ~1\.0s$/m);
  });

  it('lines the columns up under their headings', () => {
    const lines = renderFrame(running(), opts());
    const heading = lines.find((l) => l.includes('SERVICE'))!;
    const rows = lines.filter((l) => /^ {2}\S[ *]\S/.test(l));
    expect(rows).toHaveLength(6);
    for (const column of ['STATE', 'ELAPSED']) {
      const x = heading.indexOf(column);
      for (const row of rows) expect(row[x - 1]).toBe(' ');
      for (const row of rows) expect(row[x]).not.toBe(' ');
    }
    // Attempts are right-aligned under ATTEMPT's last letter.
    const attemptEnd = heading.indexOf('ATTEMPT') + 'ATTEMPT'.length - 1;
    expect(rows.filter((row) => /\d/.test(row[attemptEnd])).length).toBe(3);
  });

  it('says when no duration is known, and when only some are', () => {
    expect(plain(renderFrame(running(), opts({ planMs: undefined })))).toMatch(/^ETA unknown \(no durations: none declared, no past deployments\)/m);
    const partial = plain(renderFrame(running(), opts({ planMs: undefined, learnedMs: { db: 5_000, api: 3_000 } })));
    expect(partial).toMatch(/^ETA ≥ 6\.0s \(no duration for k8s, mon, web\) {3}1\/6 services done {3}durations: past deployments$/m);
  });

  it('keeps every line within the width, cut with …', () => {
    const s = running();
    s.services.db.activity = `downloading ${'x'.repeat(300)}`;
    const lines = renderFrame(s, opts({ width: 60 }));
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(60);
    expect(lines.find((l) => l.includes('> db'))).toMatch(/…$/);
  });

  it('colours only when asked', () => {
    expect(plain(renderFrame(running(), opts()))).not.toContain('\x1b');
    const coloured = plain(renderFrame(running(), opts({ color: true })));
    expect(coloured).toContain('\x1b[32mSUCCEEDED');
    expect(coloured).toContain('\x1b[36mDEPLOYING\x1b[39m');
  });

  it('never lets a tool\'s output move the cursor: escape sequences and control characters are dropped', () => {
    const s = running();
    s.services.db.activity = '\x1b[2K\x1b[1Aprogress\r 50%\x07\nnext';
    const text = plain(renderFrame(s, opts()));
    expect(text).toContain('progress  50% | next');
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f]/);
  });

  it('fits a short terminal: finished waves fold into one line, then services are cut with a count', () => {
    const services: Record<string, ServiceStatus> = {};
    for (let i = 0; i < 8; i++) services[`done-${i}`] = service(0, { state: 'SUCCEEDED', started_at: at(0), ended_at: at(500) });
    for (let i = 0; i < 8; i++) services[`next-${i}`] = service(1);
    const s = status(services);
    const folded = renderFrame(s, { now: NOW, width: 100, height: 16, color: false });
    expect(folded.length).toBeLessThanOrEqual(15);
    expect(plain(folded)).toMatch(/^wave 1 {2}8 SUCCEEDED: done-0, done-1, done-2/m);
    expect(plain(folded)).toContain('next-7');
    const cut = renderFrame(s, { now: NOW, width: 100, height: 10, color: false });
    expect(cut.length).toBe(9);
    expect(plain(cut)).toMatch(/^… 6 more services \(enlarge the terminal, or tugboat status dep-/m);
  });

  it('names a service awaiting approval with the command and its deadline; the ETA leaves out the person', () => {
    const s = status(
      { db: service(0, { state: 'SUCCEEDED', started_at: at(0), ended_at: at(1_000) }), api: service(1, { state: 'AWAITING_APPROVAL' }) },
      { approvals: { api: [{ requestedAt: at(1_000), deadline: at(1_000 + 30 * 60_000) }] } },
    );
    const text = plain(renderFrame(s, opts({ dependencies: { db: [], api: ['db'] }, planMs: { db: 1_000, api: 2_000 } })));
    expect(text).toMatch(/^ETA ~2\.0s after approval of api/m);
    expect(text).toMatch(/^ {2}\?\*api +AWAITING_APPROVAL +- \/ ~2\.0s +needs approval, 29m57s left$/m);
    expect(text).toMatch(/^api waits for approval: tugboat approve dep-20261123t183000000z-abc123 --service api \(or reject\)$/m);
  });

  it('paused: who paused and how to resume, no ETA', () => {
    const s = running();
    s.phase = 'PAUSED';
    s.paused = { by: 'ana@host', reason: 'db migration check', at: at(3_000) };
    const text = plain(renderFrame(s, opts({ width: 200 })));
    expect(text).toMatch(/^shop → prod {3}PAUSED/m);
    expect(text).toMatch(/^ETA: paused/m);
    expect(text).toMatch(/^paused by ana@host \(db migration check\), 1\.0s ago: nothing new starts, running services finish\. Resume: tugboat resume dep-/m);
    // Wrapped, not cut, on a narrow terminal.
    const narrow = renderFrame(s, opts({ width: 50 }));
    expect(narrow.join(' ').replace(/ {2,}/g, ' ')).toContain('Resume: tugboat resume dep-20261123t183000000z-abc123');
    for (const line of narrow) expect([...line].length).toBeLessThanOrEqual(50);
  });

  it('halted: how to retry, roll back or accept', () => {
    const s = running();
    s.phase = 'HALTED';
    expect(plain(renderFrame(s, opts({ width: 240 })))).toMatch(
      /^halted after a failure\. Fix the cause, then: tugboat retry dep-\S+ \| tugboat rollback dep-\S+ \| tugboat accept dep-\S+ \(ends PARTIAL\)$/m,
    );
  });

  it('baking: how long health is still watched', () => {
    const all = ['a', 'b'];
    const s = status(
      Object.fromEntries(all.map((n, i) => [n, service(i, { state: n === 'a' ? 'UNCHANGED' : 'SUCCEEDED', started_at: at(0), ended_at: at(1_000), outputs: { version: 'v7' } })])),
      { phase: 'BAKING', bake: { state: 'RUNNING', startedAt: at(2_000), until: at(2_000 + 120_000), checks: 3 } },
    );
    const text = plain(renderFrame(s, opts()));
    expect(text).toMatch(/^shop → prod {3}BAKING/m);
    expect(text).toMatch(/^baking: watching health for 1m58s more \(ETA 1m58s\), 3 health checks so far$/m);
    expect(text).toMatch(/^ {2}= a +UNCHANGED +1\.0s +already at v7$/m);
    expect(text).not.toMatch(/critical path/);
  });

  it('a rollback: its story while it runs; the final frame leaves it to the report below it', () => {
    const s = status(
      {
        db: service(0, { state: 'ROLLED_BACK', started_at: at(0), ended_at: at(1_000) }),
        api: service(1, { state: 'FAILED', started_at: at(1_000), ended_at: at(2_000), error: 'PermanentDeployError: image not found' }),
      },
      { phase: 'ROLLING_BACK', error: 'api failed', rollback: { state: 'RUNNING', trigger: 'failure', reason: 'api failed', order: ['db'], blocked: [] } },
    );
    const live = plain(renderFrame(s, opts()));
    expect(live).toMatch(/^ {2}✗ api +FAILED +1\.0s +PermanentDeployError: image not found$/m);
    expect(live).toMatch(/^rollback RUNNING: api failed; undone: db$/m);
    expect(live).not.toMatch(/ETA/);
    const final = plain(renderFrame(s, opts({ final: true })));
    expect(final).not.toMatch(/rollback RUNNING/);
    expect(final).toMatch(/api +FAILED/);
  });
});

describe('liveViewWanted', () => {
  const tty = { isTTY: true };
  it('on a terminal only, and not with --plain, TERM=dumb or CI', () => {
    expect(liveViewWanted(tty, { TERM: 'xterm-256color' })).toBe(true);
    expect(liveViewWanted({ isTTY: false }, { TERM: 'xterm' })).toBe(false);
    expect(liveViewWanted({}, {})).toBe(false);
    expect(liveViewWanted(tty, { TERM: 'xterm' }, true)).toBe(false);
    expect(liveViewWanted(tty, { TERM: 'dumb' })).toBe(false);
    expect(liveViewWanted(tty, { TERM: 'xterm', CI: 'true' })).toBe(false);
    expect(liveViewWanted(tty, { TERM: 'xterm', CI: 'false' })).toBe(true);
  });
});

describe('clean and clock', () => {
  it('one line of text, times at a glance', () => {
    expect(clean('  a\n  b \x1b[31mred\x1b[0m\t')).toBe('a | b red');
    expect(clock(850)).toBe('0.9s');
    expect(clock(65_000)).toBe('1m05s');
    expect(clock(3_700_000)).toBe('1h01m');
    expect(clock(-5)).toBe('0.0s');
  });
});
