import { join } from "node:path";
import { onCleanup } from "./cleanup";
import { killPid } from "./processes";

/** Starts lib/instant-engine.ts for the run (stopped at cleanup) and returns its OpenAI base URL. */
export async function startInstantEngine(): Promise<{ baseUrl: string; pid: number }> {
  const child = Bun.spawn([process.execPath, join(import.meta.dir, "instant-engine.ts")], { stdout: "pipe", stderr: "inherit", stdin: "ignore" });
  onCleanup(() => killPid(child.pid));
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  const port = Number(new TextDecoder().decode(value).trim());
  return { baseUrl: `http://127.0.0.1:${port}/v1`, pid: child.pid };
}
