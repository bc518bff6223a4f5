export { Scheduler, isFinal, type AttemptEnd, type RouteDecision, type SchedulerOptions, type SubmitInput } from "./scheduler";
export type { EngineLease, EnginePool, RoleAvailability } from "./engine-pool";
export type { TaskEvent, TaskListener } from "./task-events";
