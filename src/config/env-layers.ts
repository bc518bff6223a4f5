import type { ConfigLayer } from "./layer.ts";

/** A number when the text is one, else the text itself, so validation can quote what was found. */
function numberOrText(value: string): number | string {
  return /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
}

/** The environment variables tale reads, and the config each one sets. */
export const configEnvironment: Record<string, (value: string) => Record<string, unknown>> = {
  TALE_API_PORT: (value) => ({ api: { port: numberOrText(value) } }),
  TALE_LOG_LEVEL: (value) => ({ log: { level: value } }),
  TALE_UX_MODEL: (value) => ({ models: { ux: { engine: "builtin", model: value } } }),
  TALE_TASK_MODEL: (value) => ({ models: { task: { engine: "builtin", model: value } } }),
  TALE_THREADS: (value) => ({ builtin: { threads: numberOrText(value) } }),
};

/** One layer per variable that is set and not empty; relative model paths are relative to `cwd`. */
export function readEnvLayers(env: Record<string, string | undefined>, cwd: string): ConfigLayer[] {
  return Object.entries(configEnvironment).flatMap(([name, toValues]) => {
    const value = env[name];
    if (value === undefined || value.trim() === "") return [];
    return [{ source: `environment variable ${name}`, baseDir: cwd, fix: `Correct or unset ${name}.`, values: toValues(value) }];
  });
}
