import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dir, "../..");
export const taleBinary = join(repoRoot, "dist", "tale");
export const sharedModel = resolve(repoRoot, "../shared/models/llama-2-tiny-random.gguf");
export const hasSharedModel = existsSync(sharedModel);
/** One runtime cache for the whole suite, so the embedded engine runtime unpacks once. */
export const testCacheDir = join(repoRoot, ".tale-test", "cache");

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface TaleHome {
  home: string;
  env: Record<string, string>;
  run(args: string[], options?: { cwd?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<RunResult>;
  json<T = any>(args: string[], options?: { cwd?: string }): Promise<T>;
  daemonPid(): number | undefined;
  /** Where the running daemon answers and its token, for tests that speak HTTP to it. */
  connection(): { baseUrl: string; token: string };
  /** `tale down`, then the folder is removed. */
  cleanup(): Promise<void>;
}

/** A throwaway TALE_HOME driving the real compiled binary. */
export function createTaleHome(extraEnv: Record<string, string> = {}): TaleHome {
  if (!existsSync(taleBinary)) throw new Error(`${taleBinary} is missing: run \`bun run build\` first (npm test does).`);
  const home = mkdtempSync(join(tmpdir(), "tale-test-"));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    TALE_HOME: home,
    TALE_CACHE_DIR: testCacheDir,
    TALE_API_PORT: "0",
    TALE_LOG_LEVEL: "debug",
    NO_COLOR: "1",
    ...extraEnv,
  };
  const run: TaleHome["run"] = async (args, options = {}) => {
    const child = Bun.spawn([taleBinary, ...args], {
      cwd: options.cwd ?? home,
      env: { ...env, ...options.env },
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
      timeout: options.timeoutMs ?? 60_000,
    });
    const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    return { exitCode, stdout, stderr };
  };
  return {
    home,
    env,
    run,
    async json(args, options) {
      const result = await run([...args, "--json"], options);
      try {
        return JSON.parse(result.stdout);
      } catch {
        throw new Error(`tale ${args.join(" ")} printed no JSON (exit ${result.exitCode}):\n${result.stdout}\n${result.stderr}`);
      }
    },
    connection() {
      const { port } = JSON.parse(readFileSync(join(home, "daemon.json"), "utf8"));
      return { baseUrl: `http://127.0.0.1:${port}`, token: readFileSync(join(home, "token"), "utf8").trim() };
    },
    daemonPid() {
      try {
        return JSON.parse(readFileSync(join(home, "daemon.json"), "utf8")).pid;
      } catch {
        return undefined;
      }
    },
    async cleanup() {
      await run(["down"]).catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Process ids whose command line mentions this TALE_HOME or the given pids' children. */
export function childPids(parentPid: number): number[] {
  const result = Bun.spawnSync(["ps", "-o", "pid=", "--ppid", String(parentPid)]);
  return new TextDecoder()
    .decode(result.stdout)
    .split("\n")
    .map((line) => Number(line.trim()))
    .filter((pid) => pid > 0);
}

export { isProcessRunning as isAlive } from "../../src/util/process-alive";

export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await Bun.sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
}
