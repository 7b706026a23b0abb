import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time of processes by kind, from Linux's /proc (other systems: an empty map). For the
 * benchmarks' notes: how much CPU each part of the app (the body, the browser's renderer, GPU,
 * network service…) spent on a step, which holds up better than wall time on a shared machine.
 */
export type CpuByKind = ReadonlyMap<string, number>;

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function kindOf(commandLine: string, pid: number, bodyPid: number): string | null {
  if (pid === bodyPid) return 'body';
  if (!/chrom/i.test(commandLine)) return null;
  const type = /--type=([a-z-]+)/.exec(commandLine)?.[1];
  if (type === undefined) return 'browser';
  const service = /--utility-sub-type=([A-Za-z.]+)/.exec(commandLine)?.[1];
  return service === undefined ? type : `${type}:${service.split('.').at(-1)}`;
}

function ticksToMs(stat: string): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/**
 * CPU ms so far per kind: the body's process (by pid) and Chromium's processes by their --type;
 * with `threadsOf`, the threads of the processes of that kind separately ("renderer/<thread name>").
 */
export function cpuByKind(bodyPid: number, threadsOf?: string): CpuByKind {
  const totals = new Map<string, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return totals;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const kind = kindOf(commandLine, Number(entry), bodyPid);
      if (kind === null) continue;
      if (kind === threadsOf) {
        for (const task of readdirSync(`/proc/${entry}/task`)) {
          const name = `${kind}/${readFileSync(`/proc/${entry}/task/${task}/comm`, 'utf8').trim()}`;
          totals.set(name, (totals.get(name) ?? 0) + ticksToMs(readFileSync(`/proc/${entry}/task/${task}/stat`, 'utf8')));
        }
        continue;
      }
      const ms = ticksToMs(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      totals.set(kind, (totals.get(kind) ?? 0) + ms);
    } catch {
      // The process ended meanwhile.
    }
  }
  return totals;
}

/** `after − before` per kind, as "kind N ms" sorted by the largest, divided by `per` when given. */
export function describeCpu(before: CpuByKind, after: CpuByKind, per = 1, unit = 'ms'): string {
  const rows = [...after].map(([kind, ms]) => [kind, (ms - (before.get(kind) ?? 0)) / per] as const).filter(([, ms]) => ms > 0);
  rows.sort((a, b) => b[1] - a[1]);
  return rows.map(([kind, ms]) => `${kind} ${ms.toFixed(1)} ${unit}`).join(', ');
}
