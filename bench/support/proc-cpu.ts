/**
 * CPU time of another process (all its threads), from `/proc/<pid>/stat`: utime + stime, in ms.
 * Linux only; clock ticks are 100 per second on every Linux this runs on (`getconf CLK_TCK`).
 */
import { readFileSync } from 'node:fs';

const TICK_MS = 10;

export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at ") ": state is field 3.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]); // field 14
  const stime = Number(rest[12]); // field 15
  return (utime + stime) * TICK_MS;
}
