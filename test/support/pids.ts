/** Whether a process still runs, by PID. */
import fs from 'node:fs';

/**
 * A zombie does not count: where PID 1 does not reap orphans (some containers), a killed script's
 * child stays a zombie forever though it runs nothing.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return true; // no /proc (not Linux): the signal check above is all there is
  }
}
