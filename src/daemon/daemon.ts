import { mkdirSync } from "node:fs";
import { consola } from "consola";
import { loadTaleConfig, type DeepPartial } from "../config";
import type { TaleConfig } from "../config/types";
import { toTaleError } from "../errors";
import { resolveEngineModels } from "../models/resolve";
import { openStore } from "../store";
import { startDaemonLog } from "../logs/daemon-log";
import { addSecret } from "../logs/secrets";
import { taleVersion } from "../version";
import { startOtel } from "../otel";
import { EventBus } from "../telemetry/event-bus";
import { assembleCore } from "./core";
import { startMetricsTicks } from "./metrics-ticks";
import { startPlugins } from "./plugins";
import { formatFatalLine } from "./fatal-line";
import { homePaths, type HomePaths } from "./home";
import { listen } from "./listen";
import { createConfigReloader, reloadOnHangup } from "./reload";
import { claimPidFile } from "./pid-file";
import { removeDaemonState, writeDaemonState } from "./state-file";
import { ensureToken } from "./token";

export interface RunDaemonOptions {
  overrides?: DeepPartial<TaleConfig>;
  cwd?: string;
}

/**
 * The daemon in the foreground: wires store → scheduler → supervisor behind
 * the API, and on SIGTERM/SIGINT drains and stops every engine it started.
 */
export async function runDaemon(options: RunDaemonOptions = {}): Promise<void> {
  const paths = homePaths();
  const log = consola.withTag("daemon");
  const pluginLog = consola.withTag("plugin");
  // A tagged logger copies the level when it is made: all must follow the config, or debug lines are lost.
  const setLevel = (level: TaleConfig["log"]["level"]) => (consola.level = log.level = pluginLog.level = logLevels[level]);
  let cleanup: Array<() => void | Promise<void>> = [];
  try {
    prepareHome(paths);
    const daemonLog = startDaemonLog(paths.daemonLog, [log, pluginLog]);
    cleanup.push(claimPidFile(paths.pidFile));
    const { config, sources } = await loadTaleConfig({ cwd: options.cwd ?? process.cwd(), home: paths.home, overrides: options.overrides });
    setLevel(config.log.level);
    daemonLog.configure(config.log);

    const store = openStore({ path: paths.database });
    cleanup.push(() => store.close());
    const engines = await resolveEngineModels(config, paths.modelsDir);
    const token = ensureToken(paths.tokenFile);
    addSecret(token);

    const events = new EventBus();
    const plugins = await startPlugins({ config, log: pluginLog, alert: (alert) => events.emit(alert) });
    cleanup.push(() => plugins.close());
    // Started before the scheduler and stopped after it has drained, so the last tasks' spans are flushed.
    // Export headers usually carry a collector's API key: masked in the logs like the token.
    for (const value of Object.values(config.otel.headers)) addSecret(value);
    const otel = await startOtel(config.otel, { log, serviceVersion: taleVersion });
    if (otel) cleanup.push(() => otel.shutdown());
    const startedAt = Date.now();
    const { supervisor, scheduler, api, metrics } = assembleCore({
      otel,
      events,
      plugins,
      config,
      engines,
      store,
      token,
      logDir: paths.logDir,
      log,
      daemonStatus: () => ({
        pid: process.pid,
        version: taleVersion,
        home: paths.home,
        host: config.api.host,
        port: server.port ?? config.api.port,
        startedAt,
        uptimeMs: Date.now() - startedAt,
        rssBytes: process.memoryUsage.rss(),
        configSources: sources,
      }),
    });
    cleanup.push(() => supervisor.stop());
    cleanup.push(() => metrics?.close());
    const server = listen({ host: config.api.host, port: config.api.port, fetch: api.fetch });
    cleanup.push(() => server.stop(true));
    cleanup.push(() => removeDaemonState(paths.stateFile, process.pid));
    // Drain first, with the API still up: waiting clients get their results and new work is refused.
    cleanup.push(() => scheduler.stop(drainGraceMs));

    const ticks = startMetricsTicks({ plugins, events, log, sources: { queue: () => scheduler.counts(), engines: () => supervisor.snapshot() } });
    cleanup.push(() => ticks.stop());
    scheduler.start();
    void supervisor.start().catch((error) => log.error(`engines failed to start: ${toTaleError(error).message}`));
    writeDaemonState(paths.stateFile, { pid: process.pid, port: server.port ?? config.api.port, host: config.api.host, startedAt, version: taleVersion });
    log.info(`tale ${taleVersion} listening on http://${config.api.host}:${server.port} (home ${paths.home})`);

    const reloader = createConfigReloader({
      initial: config,
      load: async () => (await loadTaleConfig({ cwd: options.cwd ?? process.cwd(), home: paths.home, overrides: options.overrides })).config,
      apply: (next) => setLevel(next.log.level),
    });
    cleanup.push(reloadOnHangup({ reloader, log, alert: (message) => events.emit({ type: "alert", at: Date.now(), severity: "warning", source: "config", message }) }));

    const signal = await shutdownSignal();
    log.info(`received ${signal}; draining`);
  } catch (thrown) {
    const error = toTaleError(thrown);
    process.stderr.write(formatFatalLine(error));
    log.error(error.hint ? `${error.message} (${error.hint})` : error.message);
    process.exitCode = 1;
  } finally {
    // Stop in reverse order of start: drain the scheduler, then API, engines, store, pid file.
    for (const step of cleanup.reverse()) {
      try {
        await step();
      } catch (error) {
        log.warn(`shutdown step failed: ${toTaleError(error).message}`);
      }
    }
    cleanup = [];
  }
  // Whatever a stopped part left behind (a client's long-poll timer, a socket) must not keep a stopped daemon alive.
  process.exit();
}

function prepareHome(paths: HomePaths): void {
  for (const dir of [paths.home, paths.logDir, paths.modelsDir]) mkdirSync(dir, { recursive: true, mode: 0o700 });
}

function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    for (const name of ["SIGTERM", "SIGINT"] as const) process.once(name, () => resolve(name));
  });
}

/** Running tasks get this long to finish on SIGTERM; `tale down` waits longer before it kills. */
const drainGraceMs = 10_000;

const logLevels = { silent: -999, error: 0, warn: 1, info: 3, debug: 4 } as const;

