import type * as v from "valibot";
import { engineSchemas, sectionSchemas } from "./schema.ts";

type Issue = v.BaseIssue<unknown>;
type PathKey = string | number;

export interface ConfigProblem {
  /** Dotted key, e.g. `models.task.engine` or `models.ux[1].port`. */
  key: string;
  /** One sentence, e.g. `models.task.engine must be one of "builtin", ... (found "bultin")`. */
  text: string;
  hint?: string;
}

const typeNames: Record<string, string> = {
  number: "a number",
  string: "a string",
  boolean: "true or false",
  Object: "an object",
  Array: "a list",
};

function pathOf(issue: Issue): PathKey[] {
  return (issue.path ?? []).map((item) => item.key as PathKey);
}

function formatKey(path: PathKey[]): string {
  return path.map((key, index) => (typeof key === "number" ? `[${key}]` : index === 0 ? key : `.${key}`)).join("");
}

/** Turns valibot's `("a" | "b")` or `(string | Array)` into words. */
function describeExpected(expected: string): string {
  const options = expected.replace(/^\((.*)\)$/, "$1").split(" | ");
  if (options.length > 1 && options.every((option) => option.startsWith('"'))) return `one of ${options.join(", ")}`;
  return options.map((option) => typeNames[option] ?? option).join(" or ");
}

function valueAt(root: unknown, path: PathKey[]): unknown {
  return path.reduce<unknown>((value, key) => (value as Record<PathKey, unknown> | undefined)?.[key], root);
}

/** The keys valid beside an unknown one, so the user can spot the typo. */
function knownKeys(parent: PathKey[], root: unknown): string[] {
  if (parent.length === 0) return Object.keys(sectionSchemas);
  const section = sectionSchemas[parent[0] as keyof typeof sectionSchemas];
  if (section?.type === "array") return Object.keys(section.item.entries);
  if (parent.length === 1) return Object.keys(section && "entries" in section ? section.entries : {});
  const engine = (valueAt(root, parent) as { engine?: string } | undefined)?.engine;
  return Object.keys(engineSchemas[engine as keyof typeof engineSchemas]?.entries ?? {});
}

const keyHints: Record<string, string> = {
  "api.host":
    "tale's API runs models for whoever can reach it, so it only listens on this machine. Use 127.0.0.1; to use tale from another machine, forward the port over SSH.",
};

/** Describes every problem valibot found in one layer's values (`root`). */
export function describeIssues(issues: readonly Issue[], root: unknown): ConfigProblem[] {
  return issues.map((issue): ConfigProblem => {
    const path = pathOf(issue);
    const key = formatKey(path);
    if (issue.type === "strict_object" && issue.expected === "never") {
      const known = knownKeys(path.slice(0, -1), root);
      return {
        key,
        text: `unknown key "${key}"`,
        hint: `${known.length ? `Known keys there: ${known.join(", ")}. ` : ""}Fix the spelling or remove it; tale refuses unknown keys so that a typo is never silently ignored.`,
      };
    }
    const subject = key === "" ? "the configuration" : key;
    const expected = issue.kind === "schema" ? describeExpected(issue.expected ?? "") : issue.message;
    const text = issue.received === "undefined" ? `${subject} is missing; it must be ${expected}` : `${subject} must be ${expected} (found ${issue.received})`;
    return { key, text, hint: keyHints[key] };
  });
}
