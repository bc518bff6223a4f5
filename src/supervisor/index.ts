/** The model supervisor: starts, watches, restarts and stops the engines of each role. */
export { createSupervisor, type Supervisor, type SupervisorHooks, type SupervisorConfig, type SupervisorOptions } from "./supervisor";
export { supervisorPool, type SupervisorLease, type SupervisorPool, type SupervisorPoolOptions } from "./pool";
export type { RoleFallbacks } from "./role-fallback";
export { EngineHandle, type EngineKind, type EngineSnapshot, type SlotLease } from "./engine-handle";
export type { EngineEvent, EngineState } from "./engine-state";
export type { CrashLimit } from "./crash-window";
export type { CircuitState } from "./engine-circuit";
