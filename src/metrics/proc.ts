import { readFileSync } from "node:fs";

/**
 * Readers of Linux's /proc files. Each returns undefined when the file is
 * missing (another OS, a process that just exited), so a scrape never fails
 * because one figure could not be read.
 */

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc's CPU times: 100 on every Linux tale runs on (sysconf is not reachable from JS). */
const ticksPerSecond = 100;

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name may hold spaces and parentheses: fields are counted after its last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the file, 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Resident memory of a process, from VmRSS in /proc/<pid>/status. */
export function processRssBytes(pid: number): number | undefined {
  const match = read(`/proc/${pid}/status`)?.match(/^VmRSS:\s+(\d+) kB/m);
  return match ? Number(match[1]) * 1024 : undefined;
}

/** Busy and total jiffies of all CPUs together, from the first line of /proc/stat. */
export function hostCpuTicks(): { busy: number; total: number } | undefined {
  const line = read("/proc/stat")?.split("\n", 1)[0];
  if (!line?.startsWith("cpu ")) return undefined;
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  // idle and iowait are the 4th and 5th figures.
  return { busy: total - ticks[3]! - ticks[4]!, total };
}

/** The fields of /proc/meminfo tale reports, in bytes. */
export function memInfo(): { total: number; available: number; swapTotal: number; swapFree: number } | undefined {
  const text = read("/proc/meminfo");
  if (!text) return undefined;
  const kib = (key: string) => Number(text.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1] ?? 0) * 1024;
  return { total: kib("MemTotal"), available: kib("MemAvailable"), swapTotal: kib("SwapTotal"), swapFree: kib("SwapFree") };
}

/** Bytes received and sent per network interface, loopback included, from /proc/net/dev. */
export function networkBytes(): { device: string; received: number; transmitted: number }[] {
  const text = read("/proc/net/dev");
  if (!text) return [];
  return text
    .split("\n")
    .slice(2)
    .filter((line) => line.includes(":"))
    .map((line) => {
      const [device, counters] = line.split(":") as [string, string];
      const figures = counters.trim().split(/\s+/).map(Number);
      return { device: device.trim(), received: figures[0]!, transmitted: figures[8]! };
    });
}
