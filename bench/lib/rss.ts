/**
 * Resident memory of another process, from Linux's /proc/<pid>/status: VmRSS sampled every 200 ms
 * (the peak since the last reset is what a scenario reports) and VmHWM, the kernel's own
 * high-water mark over the process's whole life (start-up and workflow bundling included).
 * Elsewhere (no /proc) every reading is NaN, and the figures say so.
 */
import fs from 'node:fs';
import type { RssSampler } from './types';

const SAMPLE_MS = 200;

/** A field of /proc/<pid>/status in bytes ('VmRSS', 'VmHWM'); NaN when unreadable (no /proc, process gone). */
export function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return NaN;
  }
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
  return match ? Number(match[1]) * 1024 : NaN;
}

export interface RunningRssSampler extends RssSampler {
  stop(): void;
}

export function startRssSampler(pid: number): RunningRssSampler {
  let peak = 0;
  let lastHwm = NaN;
  const sample = () => {
    const rss = procStatusBytes(pid, 'VmRSS');
    if (rss > peak) peak = rss;
    const hwm = procStatusBytes(pid, 'VmHWM');
    if (Number.isFinite(hwm)) lastHwm = hwm; // kept: after the process exits it can no longer be read
    return rss;
  };
  sample();
  const timer = setInterval(sample, SAMPLE_MS);
  timer.unref();
  return {
    reset() {
      peak = 0;
      sample();
    },
    peakBytes() {
      sample();
      return peak > 0 ? peak : NaN;
    },
    hwmBytes() {
      sample();
      return lastHwm;
    },
    currentBytes: () => procStatusBytes(pid, 'VmRSS'),
    stop: () => clearInterval(timer),
  };
}
