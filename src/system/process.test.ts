/** runProcess: output read through unlinked files, PID reported, truncation flagged, group stopped on abort. */
import fs from 'node:fs';
import os from 'node:os';
import { isProcessRunning } from './process-group';
import { runProcess } from './process';

const tugboatTempDirs = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('tugboat-run-'));

describe('runProcess', () => {
  it('collects stdout, the stderr tail and each line, reports the PID, and leaves no file behind', async () => {
    const before = new Set(tugboatTempDirs());
    const lines: string[] = [];
    let pid: number | undefined;
    const result = await runProcess(['sh', '-c', 'echo one; echo two >&2; printf three; exit 3'], {
      onLine: (line, stream) => lines.push(`${stream}:${line}`),
      onStart: (p) => (pid = p),
    });
    expect(result).toMatchObject({ code: 3, signal: null, stdout: 'one\nthree', stderrTail: ['two'], aborted: false, stdoutTruncated: false });
    expect(lines.sort()).toEqual(['stderr:two', 'stdout:one', 'stdout:three']);
    expect(pid).toBeGreaterThan(0);
    expect(tugboatTempDirs().filter((d) => !before.has(d))).toEqual([]);
  });

  it('keeps stdout whole up to the limit and says it was cut', async () => {
    const result = await runProcess(['sh', '-c', 'echo 0123456789; echo more'], { maxStdoutBytes: 12 });
    expect(result.stdoutTruncated).toBe(true);
    expect('0123456789\nmore\n'.startsWith(result.stdout)).toBe(true);
  });

  it('stops the whole process group when aborted', async () => {
    const abort = new AbortController();
    const pids: number[] = [];
    const result = await runProcess(['sh', '-c', 'sleep 300 & echo "child $!"; wait'], {
      signal: abort.signal,
      graceMs: 2_000,
      onStart: (p) => pids.push(p),
      onLine: (line) => {
        if (!line.startsWith('child ')) return;
        pids.push(Number(line.slice(6)));
        abort.abort();
      },
    });
    expect(result.aborted).toBe(true);
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(isProcessRunning(pid)).toBe(false);
  });

  it('names the program, not its arguments, when it cannot start', async () => {
    await expect(runProcess(['/nonexistent/tool', 'secret-value'])).rejects.toThrow(/could not run \/nonexistent\/tool/);
    await expect(runProcess(['sh', 'a\u0000secret'])).rejects.toThrow(/^could not run sh: [A-Z_]+$/);
  });
});
