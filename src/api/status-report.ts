import type { SerializedError } from "../errors";
import type { TaskStatus } from "../store";
import type { EngineSnapshot } from "../supervisor";

/** Everything `tale status` shows. */
export interface StatusReport {
  daemon: {
    pid: number;
    version: string;
    home: string;
    host: string;
    port: number;
    startedAt: number;
    uptimeMs: number;
    rssBytes: number;
    configSources: string[];
  };
  engines: EngineSnapshot[];
  queue: Record<TaskStatus, number>;
  plugins: {
    loaded: { name: string; hooks: string[]; state: string; breaker: string; calls: number; failures: number }[];
    /** Configured plugins that could not be loaded; the fallback policy answers for them. */
    failed: { path: string; error: SerializedError }[];
  };
}
