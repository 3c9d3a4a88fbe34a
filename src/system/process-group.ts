/**
 * A process group that a step started, recognised again later: by a retry on another worker, after
 * the worker that started it died (the group runs on; its output goes to files, not to pipes that
 * died with the worker). Numbers get reused, so a group is named by its ID *and* its leader's start
 * time (and the boot it ran in): a new process that got the same number is not the old group.
 */
import fs from 'node:fs';
import { abortableSleep } from './sleep';

export interface GroupIdentity {
  /** The group's ID: its leader's PID. */
  pgid: number;
  /** The leader's start time (/proc/<pid>/stat field 22, clock ticks after boot); null where there is no /proc. */
  startedAt: string | null;
  /** /proc/sys/kernel/random/boot_id: after a reboot, every process is new. */
  bootId?: string;
}

/** Call right after the spawn, while the leader certainly exists. */
export function identifyGroup(pgid: number): GroupIdentity {
  const bootId = currentBootId();
  return { pgid, startedAt: procStat(pgid)?.startTime ?? null, ...(bootId ? { bootId } : {}) };
}

/**
 * Whether the group still runs something. The leader may be gone while a child it started runs on
 * (its number stays the group's until the last member exits: the kernel does not hand it out
 * meanwhile); a leader that exists with another start time is a new process. Zombies do not count:
 * where PID 1 does not reap orphans (some containers), a killed script's child stays one forever.
 */
export function isGroupAlive(group: GroupIdentity): boolean {
  if (group.bootId !== undefined && currentBootId() !== undefined && group.bootId !== currentBootId()) return false;
  try {
    process.kill(-group.pgid, 0);
  } catch {
    return false; // ESRCH: no such group; EPERM: another user's, so not the one we started
  }
  if (process.platform !== 'linux') return true;
  const leader = procStat(group.pgid);
  if (leader && group.startedAt !== null && leader.startTime !== group.startedAt) return false;
  return hasLivingMember(group.pgid);
}

/** SIGTERM to the whole group; SIGKILL to what is left after graceMs; resolves once it is gone. */
export async function stopGroup(group: GroupIdentity, graceMs: number): Promise<void> {
  signalGroup(group, 'SIGTERM');
  await waitWhileAlive(group, graceMs);
  signalGroup(group, 'SIGKILL');
  await waitWhileAlive(group, 5_000);
}

/** Only while it is still the same group: once it ended, its number may be someone else's. */
export function signalGroup(group: GroupIdentity, signal: NodeJS.Signals): void {
  if (!isGroupAlive(group)) return;
  try {
    process.kill(-group.pgid, signal);
  } catch {
    // ended meanwhile
  }
}

async function waitWhileAlive(group: GroupIdentity, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  const never = new AbortController().signal;
  while (isGroupAlive(group) && Date.now() < deadline) await abortableSleep(50, never);
}

/**
 * Whether one process still runs. Zombies do not count: where PID 1 does not reap orphans (some
 * containers), a killed script's child stays one forever though it runs nothing.
 */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = procStat(pid);
  return stat === undefined ? process.platform !== 'linux' : stat.state !== 'Z';
}

interface ProcStat {
  state: string;
  pgrp: number;
  startTime: string;
}

function procStat(pid: number | string): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses: split after the last ')'.
  // The first field after it is field 3, so field n is at index n - 3.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], pgrp: Number(fields[2]), startTime: fields[19] };
}

function hasLivingMember(pgid: number): boolean {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return true; // /proc unreadable: the signal check above is all there is
  }
  return entries.some((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    const stat = procStat(entry);
    return stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z';
  });
}

function currentBootId(): string | undefined {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
