import { spawnSync } from "bun";

/** promtool's verdict on a /metrics page: its exit code and everything it printed (problems and warnings alike). */
export function promtoolCheck(exposition: string): { exitCode: number; output: string } {
  const result = spawnSync(["promtool", "check", "metrics"], { stdin: Buffer.from(exposition) });
  return { exitCode: result.exitCode, output: `${result.stdout.toString()}${result.stderr.toString()}`.trim() };
}
