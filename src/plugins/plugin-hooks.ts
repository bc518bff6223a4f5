import { TaleError, toTaleError } from "../errors";
import type { MetricsTickInput, MetricsTickOutput, RouteInput, RouteOutput, TaskCompletedInput } from "./hook-schema";
import type { PluginManager } from "./plugin-manager";

/**
 * The core's side of the hooks: what the scheduler and the daemon pass to
 * `hooks.callHook(...)` and read back. A handler fills the context in place,
 * so the caller learns both the answer and who gave it.
 */
export type DecidedBy = "fallback" | `plugin:${string}`;

export interface RouteHookContext {
  input: RouteInput;
  /** Set by the handler: always, by a plugin or by the fallback. */
  output?: RouteOutput;
  decidedBy?: DecidedBy;
  /** Why the fallback answered instead of a plugin. */
  fallbackReason?: string;
}

export interface TaskCompletedHookContext {
  input: TaskCompletedInput;
}

export type PluginAlertOutput = NonNullable<MetricsTickOutput["alerts"]>[number] & { source: `plugin:${string}` };

export interface MetricsTickHookContext {
  input: MetricsTickInput;
  /** Alerts the plugins raised for this tick; the caller starts with an empty array. */
  alerts: PluginAlertOutput[];
}

export interface PluginHooks {
  "task:route": (context: RouteHookContext) => Promise<void>;
  "task:completed": (context: TaskCompletedHookContext) => void;
  "metrics:tick": (context: MetricsTickHookContext) => Promise<void>;
}

/** What registerPluginHooks needs of a hookable instance; one with more hooks than these fits too. */
export interface PluginHookRegistry {
  hook<Name extends keyof PluginHooks>(name: Name, handler: PluginHooks[Name]): () => void;
}

/** The built-in policies: what answers when no plugin can. */
export interface PluginHookFallbacks {
  "task:route": (input: RouteInput) => RouteOutput;
}

/**
 * Wires the hooks to the loaded plugins, looked up at each call so loads,
 * unloads and reloads apply at once.
 * - task:route: the most recently loaded plugin declaring it decides (a
 *   user's router loaded after the default one replaces it); when there is
 *   none, or it fails, is switched off or its host is restarting, the
 *   fallback decides. A decision has one plugin deadline, counted from when
 *   it was asked, queueing included: past it the fallback decides and the
 *   plugin call is abandoned, so no task waits its turn behind a slow plugin.
 * - task:completed: every plugin declaring it gets the feedback; nobody waits.
 * - metrics:tick: every plugin declaring it is asked; their alerts are collected.
 * Returns a function that removes the handlers.
 */
export function registerPluginHooks(hooks: PluginHookRegistry, manager: PluginManager, fallbacks: PluginHookFallbacks): () => void {
  const removers = [
    hooks.hook("task:route", async (context) => {
      const router = manager.pluginsFor("task:route").at(-1);
      if (router) {
        const budget = new AbortController();
        const { deadlineMs } = router;
        const timer = setTimeout(
          () => budget.abort(new TaleError("PLUGIN_FAILED", `Plugin "${router.name}" did not decide within ${deadlineMs} ms.`, { details: { reason: "budget", deadlineMs } })),
          deadlineMs,
        );
        try {
          context.output = await manager.call(router, "task:route", context.input, { signal: budget.signal, failFast: true });
          context.decidedBy = `plugin:${router.name}`;
          return;
        } catch (error) {
          context.fallbackReason = toTaleError(error).message;
        } finally {
          clearTimeout(timer);
        }
      } else {
        context.fallbackReason = "no plugin handles task:route";
      }
      context.output = fallbacks["task:route"](context.input);
      context.decidedBy = "fallback";
    }),

    hooks.hook("task:completed", (context) => {
      for (const plugin of manager.pluginsFor("task:completed")) {
        manager.call(plugin, "task:completed", context.input).catch(() => {
          // Counted in the plugin's stats and breaker; feedback has no fallback.
        });
      }
    }),

    hooks.hook("metrics:tick", async (context) => {
      const plugins = manager.pluginsFor("metrics:tick");
      const outputs = await Promise.allSettled(plugins.map((plugin) => manager.call(plugin, "metrics:tick", context.input)));
      // In load order, whoever answered first; a failed plugin (counted in its stats and breaker) raises nothing this tick.
      outputs.forEach((output, index) => {
        if (output.status !== "fulfilled") return;
        for (const alert of output.value.alerts ?? []) context.alerts.push({ ...alert, source: `plugin:${plugins[index]!.name}` });
      });
    }),
  ];
  return () => {
    for (const remove of removers) remove();
  };
}
