import type { Role } from "../config/types";
import { TaleError } from "../errors";
import type { EngineLease, EnginePool, RoleAvailability } from "../scheduler/engine-pool";
import { streamChat } from "./chat-client";
import type { EngineHandle } from "./engine-handle";
import type { Supervisor } from "./supervisor";

/** The supervisor as the scheduler sees it: slots on healthy engines, and news when capacity changes. */
export function supervisorPool(supervisor: Supervisor): EnginePool {
  return {
    acquire(role, prefer) {
      const preferred = prefer ? supervisor.engines.find((engine) => engine.id === prefer && engine.role === role && engine.state === "healthy" && engine.freeSlots > 0) : undefined;
      const engine = preferred ?? supervisor.pick(role);
      const slot = engine?.tryAcquireSlot();
      if (!engine || !slot) return undefined;
      const target = { baseUrl: engine.baseUrl!, model: engine.model, apiKey: engine.apiKey };
      const lease: EngineLease = {
        engineId: engine.id,
        model: engine.model,
        chat: (request, options) => streamChat(target, request, options),
        reportFailure: (error) => supervisor.markCrashed(engine, error),
        release: slot.release,
      };
      return lease;
    },
    engineIds: () => ({
      ux: supervisor.engines.filter((engine) => engine.role === "ux" && engine.state === "healthy").map((engine) => engine.id),
      task: supervisor.engines.filter((engine) => engine.role === "task" && engine.state === "healthy").map((engine) => engine.id),
    }),
    availability: (role) => roleAvailability(supervisor.engines.filter((engine) => engine.role === role), role),
    onCapacity: (listener) => supervisor.hooks.hook("engine:capacity", () => listener()),
  };
}

/**
 * "failed" only when waiting cannot help: every engine of the role was given
 * up on, or there is none. Engines not started yet count as starting, since
 * the daemon may start its scheduler before its engines.
 */
function roleAvailability(engines: readonly EngineHandle[], role: Role): RoleAvailability {
  if (engines.some((engine) => engine.state === "healthy")) return { state: "ready" };
  if (engines.some((engine) => engine.state !== "failed")) return { state: "starting" };
  const cause = engines.find((engine) => engine.lastError)?.lastError;
  return {
    state: "failed",
    error: new TaleError("ENGINE_UNHEALTHY", `No ${role} engine can run${cause ? `: ${cause.message}` : " because none is configured."}`, {
      hint: cause?.hint ?? "Run `tale status` to see the engines, and check the models section of your tale config.",
      cause,
    }),
  };
}
