import type { Role } from "../config/types";
import { TaleError } from "../errors";
import type { EngineChoice, EngineLease, EnginePool, RoleAvailability } from "../scheduler/engine-pool";
import { streamChat } from "./chat-client";
import type { EngineHandle } from "./engine-handle";
import { fallbackFor, type FallbackChoice } from "./role-fallback";
import type { Supervisor } from "./supervisor";

/** A lease that says which role really served it: never a silent fallback. */
export interface SupervisorLease extends EngineLease {
  role: Role;
  /** The role asked for when another role's engine serves it; null otherwise. */
  fallbackFrom: Role | null;
  /** True when the serving role is a step down (task served by ux). */
  degraded: boolean;
}

export interface SupervisorPool extends EnginePool {
  acquire(role: Role, choice?: EngineChoice): SupervisorLease | undefined;
}

export interface SupervisorPoolOptions {
  /** One line when a role starts and stops being served by its fallback. */
  log?: (message: string) => void;
}

/**
 * The supervisor as the scheduler sees it: slots on healthy engines, and news
 * when capacity changes. A role whose engines have all failed (open circuits)
 * is served by its configured fallback role, and the lease says so.
 */
export function supervisorPool(supervisor: Supervisor, options: SupervisorPoolOptions = {}): SupervisorPool {
  const enginesOf = (role: Role) => supervisor.engines.filter((engine) => engine.role === role);
  const fallingBack = new Set<Role>();
  const note = (role: Role, choice: FallbackChoice | undefined) => {
    if (choice && !fallingBack.has(role)) {
      fallingBack.add(role);
      options.log?.(`Every ${role} engine has failed; ${choice.role} engines serve ${role} requests${choice.degraded ? " (results marked degraded)" : ""}.`);
    } else if (!choice && fallingBack.delete(role)) {
      options.log?.(`A ${role} engine is back; ${role} requests no longer use the fallback.`);
    }
  };
  /** The fallback to use now: only while the role itself cannot run at all. */
  const activeFallback = (role: Role): FallbackChoice | undefined => {
    const choice = roleAvailability(enginesOf(role), role).state === "failed" ? fallbackFor(role, supervisor.fallbacks) : undefined;
    note(role, choice);
    return choice;
  };

  return {
    acquire(role, { prefer, avoid }: EngineChoice = {}) {
      const choice = activeFallback(role);
      const servingRole = choice?.role ?? role;
      const preferred = prefer && prefer !== avoid
        ? supervisor.engines.find((engine) => engine.id === prefer && engine.role === servingRole && engine.acceptsRequests && engine.freeSlots > 0)
        : undefined;
      const engine = preferred ?? supervisor.pick(servingRole, avoid);
      const slot = engine?.tryAcquireSlot();
      if (!engine || !slot) return undefined;
      const target = { baseUrl: engine.baseUrl!, model: engine.model, apiKey: engine.apiKey };
      return {
        engineId: engine.id,
        model: engine.model,
        role: servingRole,
        fallbackFrom: choice ? role : null,
        degraded: choice?.degraded ?? false,
        chat: (request, callOptions) => {
          const call = () => streamChat(target, request, { idleTimeoutMs: supervisor.requestIdleTimeoutMs, ...callOptions });
          return engine.endpointBreaker ? engine.endpointBreaker.execute(call) : call();
        },
        reportFailure: (error) => supervisor.markCrashed(engine, error),
        release: slot.release,
      };
    },
    engineIds: () => ({
      ux: enginesOf("ux").filter((engine) => engine.state === "healthy").map((engine) => engine.id),
      task: enginesOf("task").filter((engine) => engine.state === "healthy").map((engine) => engine.id),
    }),
    availability(role) {
      const own = roleAvailability(enginesOf(role), role);
      const choice = activeFallback(role);
      if (own.state !== "failed" || !choice) return own;
      const standIn = roleAvailability(enginesOf(choice.role), choice.role);
      // Both failed: the role's own reason is the one the user needs.
      return standIn.state === "failed" ? own : standIn;
    },
    onCapacity: (listener) => supervisor.hooks.hook("engine:capacity", () => listener()),
  };
}

/**
 * "failed" only when waiting cannot help soon: every engine of the role has
 * an open circuit (a crash-looping process, an unreachable endpoint, or one
 * failing request after request), or there is none. Engines not started yet count as
 * starting, since the daemon may start its scheduler before its engines.
 */
function roleAvailability(engines: readonly EngineHandle[], role: Role): RoleAvailability {
  if (engines.some((engine) => engine.acceptsRequests)) return { state: "ready" };
  const down = (engine: EngineHandle) => engine.state === "failed" || (engine.state === "healthy" && !engine.acceptsRequests);
  const cause = engines.find((engine) => engine.lastError)?.lastError;
  if (!engines.every(down)) return { state: "starting", cause };
  return {
    state: "failed",
    error: new TaleError("ENGINE_UNAVAILABLE", `No ${role} engine can run${cause ? `: ${cause.message}` : " because none is configured."}`, {
      hint: cause?.hint ?? "Run `tale status` to see the engines, and check the models section of your tale config.",
      cause,
    }),
  };
}
