import { defineCommand } from "citty";
import { taleVersion } from "../version";

/** Commands load lazily so `tale engine` and `tale submit` start without each other's code. */
export const rootCommand = defineCommand({
  meta: { name: "tale", version: taleVersion, description: "Local-first LLM task executor" },
  args: {
    debug: { type: "boolean", description: "Show stack traces for errors" },
  },
  subCommands: {
    submit: () => import("./commands/submit").then((m) => m.default),
    chat: () => import("./commands/chat").then((m) => m.default),
    list: () => import("./commands/list").then((m) => m.default),
    show: () => import("./commands/show").then((m) => m.default),
    cancel: () => import("./commands/cancel").then((m) => m.default),
    up: () => import("./commands/up").then((m) => m.default),
    down: () => import("./commands/down").then((m) => m.default),
    status: () => import("./commands/status").then((m) => m.default),
    watch: () => import("./commands/watch").then((m) => m.default),
    models: () => import("./commands/models").then((m) => m.default),
    explain: () => import("./commands/explain").then((m) => m.default),
    tokens: () => import("./commands/tokens").then((m) => m.default),
    logs: () => import("./commands/logs").then((m) => m.default),
    "stress-test": () => import("./commands/stress-test").then((m) => m.default),
    plugin: () => import("./commands/plugin").then((m) => m.default),
    engine: () => import("./commands/engine").then((m) => m.default),
    "plugin-host": () => import("./commands/plugin-host").then((m) => m.default),
  },
});
