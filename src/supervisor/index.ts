/** The model supervisor: starts, watches, restarts and stops the engines of each role. */
export { createSupervisor, type Supervisor, type SupervisorHooks, type SupervisorOptions } from "./supervisor";
export { supervisorPool } from "./pool";
export { EngineHandle, type EngineKind, type EngineSnapshot, type SlotLease } from "./engine-handle";
export type { EngineEvent, EngineState } from "./engine-state";
export type { CrashLimit } from "./crash-window";
