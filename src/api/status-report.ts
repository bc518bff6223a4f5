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
}
