import { isFailedLine, isReadyLine, type EngineReadyLine } from "../../../src/engine/protocol";
import { newSecret } from "../../../src/util/bearer";
import { onCleanup } from "./cleanup";
import { killPid, waitGone } from "./processes";
import { taleBinary } from "./tale-home";

export interface EngineStart {
  /** Spawn to ready line, measured here. */
  readyMs: number;
  /** Process start to listening, as the engine itself reports it. */
  startupMs: number;
}

export interface EngineStartOptions {
  modelPath: string;
  env: Record<string, string>;
  threads?: number;
  timeoutMs?: number;
  /** More `tale engine` flags, e.g. the daemon's slots and context size. */
  flags?: string[];
}

/** A `tale engine` started the way the daemon starts one, key over stdin included. */
export interface StandaloneEngine {
  ready: EngineReadyLine;
  /** Spawn to ready line, measured here. */
  readyMs: number;
  /** What requests send as `Authorization: Bearer <key>`. */
  key: string;
  /** Closes stdin (the engine's lifeline) and waits for it to go; SIGKILL is only the backstop. */
  stop(): Promise<void>;
}

export async function startEngine(options: EngineStartOptions): Promise<StandaloneEngine> {
  const key = newSecret();
  const argv = [taleBinary, "engine", "--key-stdin", "--model", options.modelPath, "--port", "0", "--threads", String(options.threads ?? 1), ...(options.flags ?? [])];
  const started = performance.now();
  const child = Bun.spawn(argv, { env: options.env, stdin: "pipe", stdout: "pipe", stderr: "ignore" });
  child.stdin.write(`${key}\n`);
  void child.stdin.flush();
  const stop = onCleanup(async () => {
    void child.stdin.end();
    if (!(await waitGone(child.pid, 3000))) killPid(child.pid);
  });
  try {
    const ready = await readReadyLine(child.stdout, options.timeoutMs ?? 30_000);
    return { ready, readyMs: performance.now() - started, key, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Spawns `tale engine` on its own, times it to its ready line, then stops it the way the daemon does. */
export async function timeEngineStart(options: EngineStartOptions): Promise<EngineStart> {
  const engine = await startEngine(options);
  await engine.stop();
  return { readyMs: engine.readyMs, startupMs: engine.ready.startupMs };
}

async function readReadyLine(stdout: ReadableStream<Uint8Array>, timeoutMs: number): Promise<EngineReadyLine> {
  let timer: Timer | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`engine printed no ready line within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([scanLines(stdout), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function scanLines(stdout: ReadableStream<Uint8Array>): Promise<EngineReadyLine> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stdout) {
    buffered += decoder.decode(chunk, { stream: true });
    for (let newline = buffered.indexOf("\n"); newline !== -1; newline = buffered.indexOf("\n")) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      const parsed = safeParse(line);
      if (isReadyLine(parsed)) return parsed;
      if (isFailedLine(parsed)) throw new Error(`engine failed to start: ${parsed.error.message} [${parsed.error.code}]`);
    }
  }
  throw new Error("engine exited without a ready line");
}

function safeParse(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
