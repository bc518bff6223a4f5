import { roles } from "../config/types";
import { TaleError } from "../errors";
import type { HookIO, HookName, MetricsTickOutput, RouteOutput } from "./hook-schema";
import { excerpt } from "./manifest";

/**
 * Turns a plugin's output text into the hook's output type, or a
 * PLUGIN_FAILED error saying what is wrong. A plugin is untrusted code: the
 * core only ever sees output that matches the contract, and unknown fields
 * are dropped rather than passed along.
 */
export function parseHookOutput<H extends HookName>(hook: H, text: string, label: string): HookIO[H]["output"] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad(label, hook, `invalid JSON: ${excerpt(text)}`, "Write the answer as UTF-8 JSON bytes: Host.output(Uint8Array.wrap(String.UTF8.encode(json))).");
  }
  if (!isRecord(value)) throw bad(label, hook, `${excerpt(text)}, which is not a JSON object`, `${hook} answers a JSON object (docs/plugins.md).`);
  return checkers[hook](value, (problem) => bad(label, hook, problem, `See the ${hook} output schema in docs/plugins.md.`)) as HookIO[H]["output"];
}

type Checker = (value: Record<string, unknown>, fail: (problem: string) => TaleError) => unknown;

const reasonChars = 200;
const alertChars = 500;

const checkers: Record<HookName, Checker> = {
  "task:route"(value, fail): RouteOutput {
    const { role, engine, maxTokens, reason } = value;
    if (typeof role !== "string" || !(roles as readonly string[]).includes(role)) throw fail(`role ${JSON.stringify(role)} (expected one of ${roles.join(", ")})`);
    if (engine !== undefined && (typeof engine !== "string" || engine === "")) throw fail(`engine ${JSON.stringify(engine)} (expected an engine id, or no engine field)`);
    if (maxTokens !== undefined && (typeof maxTokens !== "number" || !Number.isInteger(maxTokens) || maxTokens < 1)) {
      throw fail(`maxTokens ${JSON.stringify(maxTokens)} (expected a whole number of at least 1)`);
    }
    if (reason !== undefined && typeof reason !== "string") throw fail(`reason ${JSON.stringify(reason)} (expected a string)`);
    return {
      role: role as RouteOutput["role"],
      ...(engine === undefined ? {} : { engine: engine as string }),
      ...(maxTokens === undefined ? {} : { maxTokens: maxTokens as number }),
      ...(reason === undefined ? {} : { reason: (reason as string).slice(0, reasonChars) }),
    };
  },
  "task:completed"(value) {
    return value;
  },
  "metrics:tick"(value, fail): MetricsTickOutput {
    const { alerts } = value;
    if (alerts === undefined) return {};
    if (!Array.isArray(alerts)) throw fail(`alerts ${excerpt(JSON.stringify(alerts))} (expected an array)`);
    return {
      alerts: alerts.map((alert) => {
        const severity = isRecord(alert) ? alert.severity : undefined;
        const message = isRecord(alert) ? alert.message : undefined;
        if (severity !== "info" && severity !== "warning" && severity !== "critical") throw fail(`an alert of severity ${JSON.stringify(severity)} (expected info, warning or critical)`);
        if (typeof message !== "string" || message === "") throw fail(`an alert without a message`);
        return { severity, message: message.slice(0, alertChars) };
      }),
    };
  },
};

function bad(label: string, hook: HookName, problem: string, hint: string): TaleError {
  return new TaleError("PLUGIN_FAILED", `${label} answered ${hook} with ${problem}.`, { hint, details: { reason: "bad-output" } });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
