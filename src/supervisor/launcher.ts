import type { ExitInfo } from "./child";
import type { EngineEndpoint } from "./engine-handle";
import type { HealthProbe } from "./health";

/** An engine that answered: where it is, how to check it, how to end it. */
export interface RunningEngine extends EngineEndpoint {
  health: HealthProbe;
  /** Settles when the engine process is gone; absent for remote endpoints, which have none. */
  exited?: Promise<ExitInfo>;
  stop(graceMs: number): Promise<void>;
}

export interface LaunchContext {
  /** Aborts on timeout or shutdown; the launcher then kills what it started. */
  signal: AbortSignal;
  /** Called right after a process is spawned with a synchronous SIGKILL for it,
   * so a daemon exit during a slow start still takes the process down. */
  onSpawn(killNow: () => void): void;
}

/**
 * Starts one kind of engine. `launch` resolves once the engine is ready and
 * rejects (after cleaning up whatever it started) when it cannot get there or
 * when the signal aborts.
 */
export interface EngineLauncher {
  launch(context: LaunchContext): Promise<RunningEngine>;
  /** Ends whatever the launcher keeps between launches (a warm spare); the engine itself is stopped through RunningEngine. */
  close?(): Promise<void>;
}

export const loopback = "127.0.0.1";
