import { isDeepStrictEqual } from "node:util";
import type { TaleConfig } from "../config/types";
import { toTaleError, type TaleError } from "../errors";

/**
 * SIGHUP re-reads the configuration. Only `log.level` applies live; every
 * other changed section is named as needing a restart rather than half
 * applied. A configuration that does not load or validate is refused and the
 * last good one stays in force.
 */
export type ReloadOutcome =
  | { ok: true; config: TaleConfig; applied: string[]; needsRestart: string[] }
  | { ok: false; error: TaleError };

export interface ConfigReloaderOptions {
  initial: TaleConfig;
  load: () => Promise<TaleConfig>;
  apply: (config: TaleConfig) => void;
}

export interface ConfigReloader {
  readonly current: TaleConfig;
  reload(): Promise<ReloadOutcome>;
}

export function createConfigReloader(options: ConfigReloaderOptions): ConfigReloader {
  let current = options.initial;
  return {
    get current() {
      return current;
    },
    async reload() {
      let next: TaleConfig;
      try {
        next = await options.load();
      } catch (error) {
        return { ok: false, error: toTaleError(error, "CONFIG") };
      }
      const applied = next.log.level === current.log.level ? [] : ["log.level"];
      const needsRestart = (Object.keys(next) as (keyof TaleConfig)[]).filter(
        (section) => section !== "log" && !isDeepStrictEqual(next[section], current[section]),
      );
      current = { ...current, log: next.log };
      options.apply(current);
      return { ok: true, config: current, applied, needsRestart };
    },
  };
}

export interface ReloadOnHangupOptions {
  reloader: ConfigReloader;
  log: { info(message: string): void; error(message: string): void };
  /** A refused reload is an alert too, so `tale watch` shows it. */
  alert: (message: string) => void;
}

/** Reloads on every SIGHUP and reports the outcome; returns the function that stops listening. */
export function reloadOnHangup(options: ReloadOnHangupOptions): () => void {
  const { reloader, log } = options;
  const onHangup = () =>
    void reloader.reload().then((outcome) => {
      if (!outcome.ok) {
        const message = `config reload refused, the last good config stays in force: ${outcome.error.message}`;
        log.error(outcome.error.hint ? `${message} (${outcome.error.hint})` : message);
        options.alert(message);
        return;
      }
      const restart = outcome.needsRestart.length ? `; changed but applied only by a restart: ${outcome.needsRestart.join(", ")}` : "";
      log.info(`config reloaded (applied: ${outcome.applied.join(", ") || "nothing changed"}${restart})`);
    });
  process.on("SIGHUP", onHangup);
  return () => void process.off("SIGHUP", onHangup);
}
