import { isProcessRunning as isAlive } from "../../../src/util/process-alive";
import { readFileSync } from "node:fs";
import { onCleanup } from "./cleanup";

export interface CommandRun {
  ms: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  env: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs a command to completion and times it wall to wall; a non-zero exit is an error. */
export async function timeCommand(argv: string[], options: CommandOptions): Promise<CommandRun> {
  const started = performance.now();
  const child = Bun.spawn(argv, {
    cwd: options.cwd,
    env: options.env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: options.timeoutMs ?? 60_000,
  });
  const forget = onCleanup(() => killPid(child.pid));
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  const ms = performance.now() - started;
  await forget();
  if (exitCode !== 0) {
    throw new Error(`\`${argv.slice(1).join(" ")}\` exited with ${exitCode}:\n${stderr.trim() || stdout.trim()}`);
  }
  return { ms, stdout, stderr };
}

export { isAlive };

export function killPid(pid: number, signal: NodeJS.Signals = "SIGKILL"): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

export async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (!isAlive(pid)) return true;
    await Bun.sleep(10);
  }
  return !isAlive(pid);
}

export interface Memory {
  /** Resident set now, MB. */
  rssMb: number;
  /** Highest resident set so far (VmHWM), MB. */
  peakMb: number;
}

export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}
