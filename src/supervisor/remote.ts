import type { RemoteEngineConfig } from "../config/types";
import { TaleError } from "../errors";
import { createHealthProbe } from "./health";
import type { EngineLauncher } from "./launcher";

export interface RemoteLauncherOptions {
  config: RemoteEngineConfig;
  apiKey?: string;
  healthTimeoutMs: number;
}

/**
 * A remote endpoint has no process: "launching" it only means knowing where
 * it is. Its state then follows reachability through health checks.
 */
export function remoteLauncher(options: RemoteLauncherOptions): EngineLauncher {
  const baseUrl = options.config.baseUrl.replace(/\/+$/, "");
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  // baseUrl is normally the OpenAI base ("…/v1"); a bare host gets /v1/models as the fallback.
  const health = createHealthProbe({ urls: [`${baseUrl}/models`, `${baseUrl}/v1/models`], headers, timeoutMs: options.healthTimeoutMs });
  return {
    launch: async () => ({ baseUrl, health, stop: async () => {} }),
  };
}

/** The API key of a remote engine: literal, or read from the named variable. */
export function remoteApiKey(config: RemoteEngineConfig, engineId: string): string | undefined {
  if (config.apiKey) return config.apiKey;
  if (!config.apiKeyEnv) return undefined;
  const key = process.env[config.apiKeyEnv];
  if (!key) {
    throw new TaleError("CONFIG", `Engine ${engineId} reads its API key from $${config.apiKeyEnv}, which is not set.`, {
      hint: `Export ${config.apiKeyEnv} before starting tale, or remove apiKeyEnv if the endpoint needs no key.`,
    });
  }
  return key;
}
