export { Scheduler, isFinal, type AttemptEnd, type CancelFilter, type RouteDecision, type SchedulerAlert, type SchedulerOptions, type SubmitInput } from "./scheduler";
export type { EngineChoice, EngineLease, EnginePool, RoleAvailability } from "./engine-pool";
export type { TaskEvent, TaskListener } from "./task-events";
