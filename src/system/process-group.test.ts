/** Recognising a process group again by its ID, its leader's start time and the boot, and stopping it. */
import { runProcess, type ProcessResult } from '../system/process';
import { waitFor } from '../../test/support/wait';
import { identifyGroup, isGroupAlive, stopGroup, type GroupIdentity } from './process-group';

/** A group (its leader a shell) that runs until stopped; `ignoreTerm` makes it need SIGKILL. */
async function startGroup(ignoreTerm = false): Promise<{ group: GroupIdentity; ended: Promise<ProcessResult>; abort: AbortController }> {
  const abort = new AbortController();
  let pid: number | undefined;
  let ready = false;
  // `ready` once the trap is set: a SIGTERM that came before it would end the shell at once.
  const script = `${ignoreTerm ? 'trap "" TERM; ' : ''}echo ready; sleep 300 & wait`;
  const ended = runProcess(['sh', '-c', script], { signal: abort.signal, graceMs: 1_000, onStart: (p) => (pid = p), onLine: (l) => (ready ||= l === 'ready') });
  ended.catch(() => undefined);
  const leader = await waitFor(() => ready && pid, { what: 'the group to start', timeoutMs: 10_000 });
  return { group: identifyGroup(leader), ended, abort };
}

describe('process group', () => {
  it('is alive while it runs, and only under its own start time and boot', async () => {
    const { group, ended, abort } = await startGroup();
    try {
      expect(group.startedAt).toMatch(/^\d+$/);
      expect(isGroupAlive(group)).toBe(true);
      // The same number on a process started at another time, or in another boot, is not this group.
      expect(isGroupAlive({ ...group, startedAt: String(Number(group.startedAt) + 1) })).toBe(false);
      expect(isGroupAlive({ ...group, bootId: 'another-boot' })).toBe(false);
    } finally {
      abort.abort();
      await ended;
    }
    expect(isGroupAlive(group)).toBe(false);
  });

  it('stops a group with SIGTERM, or SIGKILL once the grace period is over', async () => {
    for (const ignoreTerm of [false, true]) {
      const { group, ended } = await startGroup(ignoreTerm);
      const started = Date.now();
      await stopGroup(group, 500);
      expect(isGroupAlive(group)).toBe(false);
      expect((await ended).signal).toBe(ignoreTerm ? 'SIGKILL' : 'SIGTERM');
      if (ignoreTerm) expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    }
  });
});
