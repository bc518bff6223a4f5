import { spawnSync } from "bun";

/** promtool's verdict on a /metrics page: its exit code and everything it printed (problems and warnings alike). */
export function promtoolCheck(exposition: string): { exitCode: number; output: string } {
  requireCommand("promtool");
  const result = spawnSync(["promtool", "check", "metrics"], { stdin: Buffer.from(exposition) });
  return { exitCode: result.exitCode, output: `${result.stdout.toString()}${result.stderr.toString()}`.trim() };
}

/** A missing tool is a setup problem, said as such rather than as a failed check. */
export function requireCommand(command: string): void {
  if (!Bun.which(command)) throw new Error(`${command} is missing: install Debian's prometheus package (apt-get install -y prometheus; .ci/run does).`);
}
