import { defineCommand } from "citty";
import { colors } from "consola/utils";
import { type ErrorCode, errorClasses, TaleError } from "../../errors";
import { table } from "../output/task-view";
import { suggest } from "../suggest";
import { ownValue } from "../../util/own";

export default defineCommand({
  meta: { name: "explain", description: "Explain an error code and what to do about it" },
  args: {
    code: { type: "positional", required: false, description: "An error code such as ENGINE_CRASHED; none lists them all" },
    json: { type: "boolean", description: "Print JSON" },
  },
  run({ args }) {
    const codes = Object.keys(errorClasses) as ErrorCode[];
    if (!args.code) {
      if (args.json) process.stdout.write(`${JSON.stringify(errorClasses)}\n`);
      else process.stdout.write(`${table(["CODE", "RETRIED", "MEANING"], codes.map((code) => [code, errorClasses[code].retryable ? "yes" : "no", errorClasses[code].meaning]))}\n`);
      return;
    }
    const code = String(args.code).toUpperCase() as ErrorCode;
    const entry = ownValue(errorClasses, code);
    if (!entry) {
      const guess = suggest(code, codes);
      throw new TaleError("NOT_FOUND", `No error code "${args.code}".`, { hint: guess ? `Did you mean ${guess}? \`tale explain\` lists them all.` : "`tale explain` lists them all." });
    }
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ code, ...entry })}\n`);
      return;
    }
    process.stdout.write(
      `${colors.bold(code)}  ${colors.dim(`HTTP ${entry.status} · ${entry.retryable ? "tale retries it" : "not retried"}`)}\n${entry.meaning}\n${colors.yellow("→")} ${entry.action}\n`,
    );
  },
});
