import { TaleError } from "../errors";
import { redactUrl } from "./redact-url";

export type HealthResult = { ok: true } | { ok: false; error: TaleError };

/** One health check; never throws. */
export type HealthProbe = () => Promise<HealthResult>;

export interface HealthProbeOptions {
  /** Tried in order: a 404 moves on to the next URL, which is then kept. */
  urls: string[];
  headers?: Record<string, string>;
  timeoutMs: number;
}

export function createHealthProbe(options: HealthProbeOptions): HealthProbe {
  let current = 0;
  const probe = async (): Promise<HealthResult> => {
    const url = options.urls[current]!;
    let response: Response;
    try {
      response = await fetch(url, { headers: options.headers, signal: AbortSignal.timeout(options.timeoutMs) });
      await response.arrayBuffer();
    } catch (error) {
      return { ok: false, error: unreachable(url, error) };
    }
    if (response.ok) return { ok: true };
    if (response.status === 404 && current < options.urls.length - 1) {
      current++;
      return probe();
    }
    return { ok: false, error: badStatus(url, response.status) };
  };
  return probe;
}

/** Polls until the probe passes; rejects with the signal's reason once it aborts. */
export async function waitUntilHealthy(probe: HealthProbe, signal: AbortSignal, intervalMs: number): Promise<void> {
  while (true) {
    signal.throwIfAborted();
    if ((await probe()).ok) return;
    signal.throwIfAborted();
    await Bun.sleep(intervalMs);
  }
}

function unreachable(url: string, error: unknown): TaleError {
  const timedOut = error instanceof DOMException && error.name === "TimeoutError";
  return new TaleError("ENGINE_UNHEALTHY", timedOut ? `${redactUrl(url)} did not answer in time.` : `${redactUrl(url)} is unreachable.`, {
    cause: error,
  });
}

function badStatus(url: string, status: number): TaleError {
  if (status === 401 || status === 403) {
    return new TaleError("AUTH", `${redactUrl(url)} refused the API key (HTTP ${status}).`, {
      hint: "Check the apiKey or apiKeyEnv of this engine in your tale config.",
    });
  }
  return new TaleError("ENGINE_UNHEALTHY", `${redactUrl(url)} answered HTTP ${status}.`);
}
