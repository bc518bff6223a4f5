import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createDefaultConfig, loadTaleConfig, type LoadTaleConfigOptions } from "../../src/config/index.ts";
import { TaleError } from "../../src/errors/index.ts";

let root: string;
let home: string;
let project: string;

function write(path: string, content: string | object): string {
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

function load(options: Partial<LoadTaleConfigOptions> = {}) {
  return loadTaleConfig({ home, cwd: project, env: {}, ...options });
}

async function configError(options: Partial<LoadTaleConfigOptions> = {}): Promise<TaleError> {
  const error = await load(options).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(TaleError);
  expect((error as TaleError).code).toBe("CONFIG");
  return error as TaleError;
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "tale-config-"));
  home = join(root, "home");
  project = join(root, "project");
  mkdirSync(home);
  mkdirSync(project);
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe("loading", () => {
  test("defaults alone", async () => {
    const loaded = await load();
    expect(loaded.sources).toEqual([]);
    expect(loaded.config).toEqual(createDefaultConfig());
    expect(loaded.config).toMatchObject({
      api: { host: "127.0.0.1", port: 8253, rateLimitPerMinute: 0, rateLimitBurst: 20 },
      models: { ux: { engine: "builtin", model: "default" }, task: { engine: "builtin", model: "default" } },
      builtin: { threads: Math.max(1, Math.floor(availableParallelism() / 2)), slots: 2, contextSize: 2048, maxTokens: 128, warmSpare: true },
      scheduler: { maxConcurrent: 8, maxAttempts: 3, defaultTimeoutMs: 0, maxQueued: 10000, agingMs: 1000, watchdogIntervalMs: 5000 },
      supervisor: { healthIntervalMs: 2000, startTimeoutMs: 30000, backoffInitialMs: 250, backoffMaxMs: 30000 },
      log: { level: "info" },
    });
  });

  test("the documented example file holds exactly the defaults", async () => {
    const example = readFileSync(resolve(import.meta.dir, "../../config/tale.config.example.json"), "utf8");
    write(join(project, "tale.config.json"), example);
    const { config } = await load();
    expect({ ...config, builtin: { ...config.builtin, threads: 0 } }).toEqual({
      ...createDefaultConfig(),
      builtin: { ...createDefaultConfig().builtin, threads: 0 },
    });
  });

  test("the two-model tale.config.json shape", async () => {
    const file = write(
      join(project, "tale.config.json"),
      '{ "models": { "ux": { "engine": "builtin", "model": "/path/small.gguf" }, "task": { "engine": "builtin", "model": "/path/large.gguf" } } }',
    );
    const loaded = await load();
    expect(loaded.sources).toEqual([file]);
    expect(loaded.config.models).toEqual({
      ux: { engine: "builtin", model: "/path/small.gguf" },
      task: { engine: "builtin", model: "/path/large.gguf" },
    });
  });

  test("layers: home < .talerc < project file < environment < overrides; models entries are replaced whole", async () => {
    const homeFile = write(join(home, "config.json"), {
      api: { port: 1001 },
      scheduler: { maxAttempts: 5 },
      log: { level: "debug" },
      models: {
        task: [
          { engine: "builtin", model: "/m/a.gguf" },
          { engine: "builtin", model: "/m/b.gguf" },
        ],
      },
    });
    const rcFile = write(join(project, ".talerc"), "api.port=1002\nscheduler.maxConcurrent=4\nbuiltin.slots=3\n");
    const projectFile = write(join(project, "tale.config.json"), {
      api: { port: 1003 },
      builtin: { slots: 4 },
      models: {
        ux: { engine: "remote", baseUrl: "http://127.0.0.1:9/v1", model: "tiny" },
        task: { engine: "builtin", model: "/m/c.gguf", threads: 1 },
      },
    });
    const loaded = await load({
      env: { TALE_API_PORT: "1004", TALE_UX_MODEL: "/m/env.gguf", TALE_THREADS: "" },
      overrides: { api: { port: 1005 }, log: { level: "warn" } },
    });
    expect(loaded.sources).toEqual([homeFile, rcFile, projectFile]);
    const { config } = loaded;
    expect(config.api).toEqual({ host: "127.0.0.1", port: 1005, rateLimitPerMinute: 0, rateLimitBurst: 20 });
    expect(config.log.level).toBe("warn");
    expect(config.scheduler).toEqual({ maxConcurrent: 4, maxAttempts: 5, defaultTimeoutMs: 0, maxQueued: 10000, agingMs: 1000, watchdogIntervalMs: 5000, maxQueueWaitMs: 120_000 });
    expect(config.builtin.slots).toBe(4);
    // An empty variable counts as unset.
    expect(config.builtin.threads).toBe(Math.max(1, Math.floor(availableParallelism() / 2)));
    expect(config.models.task).toEqual({ engine: "builtin", model: "/m/c.gguf", threads: 1 });
    expect(config.models.ux).toEqual({ engine: "builtin", model: "/m/env.gguf" });

    const withoutEnv = await load({ overrides: { models: { task: [{ engine: "builtin", model: "/m/flag.gguf" }] } } });
    expect(withoutEnv.config.api.port).toBe(1003);
    expect(withoutEnv.config.models.task).toEqual([{ engine: "builtin", model: "/m/flag.gguf" }]);
    expect(withoutEnv.config.models.ux).toMatchObject({ engine: "remote" });
  });

  test("relative model paths resolve against the folder of the layer that names them", async () => {
    const configDir = join(project, "conf");
    mkdirSync(configDir);
    write(join(home, "config.json"), { models: { ux: [{ engine: "builtin", model: "models/home.gguf" }] } });
    write(join(project, "tale.config.json"), {
      models: {
        task: [
          { engine: "builtin", model: "./models/x.gguf" },
          { engine: "builtin", model: "default" },
          { engine: "remote", baseUrl: "http://localhost:1/v1", model: "./not-a-path" },
        ],
      },
    });
    const { config } = await load();
    expect(config.models.ux).toEqual([{ engine: "builtin", model: join(home, "models/home.gguf") }]);
    expect(config.models.task).toEqual([
      { engine: "builtin", model: join(project, "models/x.gguf") },
      { engine: "builtin", model: "default" },
      { engine: "remote", baseUrl: "http://localhost:1/v1", model: "./not-a-path" },
    ]);

    const fromEnv = await load({ cwd: configDir, env: { TALE_TASK_MODEL: "../big.gguf" } });
    expect(fromEnv.config.models.task).toEqual({ engine: "builtin", model: join(project, "big.gguf") });
  });

  test(".talerc alone", async () => {
    const rcFile = write(join(project, ".talerc"), "models.ux.engine=builtin\nmodels.ux.model=./small.gguf\napi.port=9001\nlog.level=error\n");
    const loaded = await load();
    expect(loaded.sources).toEqual([rcFile]);
    expect(loaded.config.api.port).toBe(9001);
    expect(loaded.config.log.level).toBe("error");
    expect(loaded.config.models.ux).toEqual({ engine: "builtin", model: join(project, "small.gguf") });
  });

  test("tale.config.ts in the project and config.ts in TALE_HOME", async () => {
    write(join(home, "config.ts"), 'export default { scheduler: { maxConcurrent: 2 + 1 } } as const;\n');
    const tsFile = write(
      join(project, "tale.config.ts"),
      'const model: string = "./models/large.gguf";\nexport default { models: { task: { engine: "builtin", model, slots: 1 } } };\n',
    );
    const loaded = await load();
    expect(loaded.sources).toEqual([join(home, "config.ts"), tsFile]);
    expect(loaded.config.scheduler.maxConcurrent).toBe(3);
    expect(loaded.config.models.task).toEqual({ engine: "builtin", model: join(project, "models/large.gguf"), slots: 1 });
  });
});

describe("mistakes", () => {
  test("a wrong engine name names the file, the key, the choices and what was found", async () => {
    const file = write(join(project, "tale.config.json"), { models: { task: { engine: "bultin", model: "/m/x.gguf" } } });
    const error = await configError();
    expect(error.message).toBe(
      `Invalid config in ${file}: models.task.engine must be one of "builtin", "process", "remote" (found "bultin")`,
    );
    expect(error.hint).toContain(file);
  });

  test("a wrong type, inside a list of engines", async () => {
    const file = write(join(home, "config.json"), {
      api: { port: "8080" },
      models: { ux: [{ engine: "builtin", model: "/m/a.gguf" }, { engine: "process", command: "server", port: 70000 }] },
    });
    const error = await configError();
    expect(error.message).toContain(`Invalid config in ${file}: `);
    expect(error.message).toContain('api.port must be a number (found "8080")');
    expect(error.message).toContain("models.ux[1].port must be a whole number from 1 to 65535 (found 70000)");
  });

  test("a missing engine field", async () => {
    write(join(project, "tale.config.json"), { models: { task: { model: "/m/x.gguf" } } });
    expect((await configError()).message).toContain("models.task.engine is missing");
  });

  test("unknown keys, at the top and inside a section, are named with the known ones", async () => {
    const file = write(join(project, "tale.config.json"), { modles: {}, scheduler: { maxConcurent: 2 } });
    const error = await configError();
    expect(error.message).toContain(`Invalid config in ${file}: `);
    expect(error.message).toContain('unknown key "modles"');
    expect(error.message).toContain('unknown key "scheduler.maxConcurent"');
    expect(error.hint).toContain("maxConcurrent");
  });

  test("an unknown key inside an engine lists that engine's keys", async () => {
    write(join(project, "tale.config.json"), { models: { ux: { engine: "builtin", model: "default", thread: 2 } } });
    const error = await configError();
    expect(error.message).toContain('unknown key "models.ux.thread"');
    expect(error.hint).toContain("threads");
  });

  test("a non-loopback host is refused with the reason", async () => {
    const file = write(join(project, "tale.config.json"), { api: { host: "0.0.0.0" } });
    const error = await configError();
    expect(error.message).toContain(`Invalid config in ${file}: api.host must be a loopback address`);
    expect(error.message).toContain('(found "0.0.0.0")');
    expect(error.hint).toContain("127.0.0.1");
    rmSync(file);
    expect((await load({ overrides: { api: { host: "::1" } } })).config.api.host).toBe("::1");
  });

  test("malformed JSON names the file and the parse problem", async () => {
    const file = write(join(project, "tale.config.json"), '{ "api": { "port": 8080, } }');
    const error = await configError();
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/JSON/);
    expect(error.hint).toContain(file);
  });

  test("a file that is not an object of settings", async () => {
    const file = write(join(project, "tale.config.json"), "[1, 2]");
    expect((await configError()).message).toBe(`Invalid config in ${file}: the configuration must be an object of settings (found a list)`);
  });

  test("a bad environment variable is named", async () => {
    const error = await configError({ env: { TALE_API_PORT: "eighty" } });
    expect(error.message).toBe('Invalid config in environment variable TALE_API_PORT: api.port must be a number (found "eighty")');
    expect(error.hint).toContain("TALE_API_PORT");
  });

  test("a bad override is named as a command-line option", async () => {
    const error = await configError({ overrides: { builtin: { threads: 0 } } });
    expect(error.message).toBe("Invalid config in command-line options: builtin.threads must be a whole number of at least 1 (found 0)");
  });
});

describe("plugins in config", () => {
  test("plugin paths resolve against the declaring file, and a higher layer's list replaces a lower one", async () => {
    const home = mkdtempSync(join(tmpdir(), "tale-config-home-"));
    const project = mkdtempSync(join(tmpdir(), "tale-config-project-"));
    try {
      writeFileSync(join(home, "config.json"), JSON.stringify({ plugins: [{ path: "./home-router.wasm" }, { path: "/abs/alerts.wasm" }] }));
      const fromHome = await loadTaleConfig({ cwd: project, home, env: {} });
      expect(fromHome.config.plugins.map((plugin) => plugin.path)).toEqual([join(home, "home-router.wasm"), "/abs/alerts.wasm"]);

      writeFileSync(join(project, "tale.config.json"), JSON.stringify({ plugins: [{ path: "./my-router.wasm", config: { longPromptTokens: 80 } }] }));
      const { config } = await loadTaleConfig({ cwd: project, home, env: {} });
      expect(config.plugins).toEqual([{ path: join(project, "my-router.wasm"), config: { longPromptTokens: 80 } }]);
      expect(config.pluginRuntime.callTimeoutMs).toBe(50);
    } finally {
      rmSync(home, { recursive: true, force: true });
      rmSync(project, { recursive: true, force: true });
    }
  });

  test("a misspelt plugin key is named with the keys that exist", async () => {
    const home = mkdtempSync(join(tmpdir(), "tale-config-home-"));
    try {
      writeFileSync(join(home, "config.json"), JSON.stringify({ plugins: [{ pth: "./x.wasm" }] }));
      const error = await loadTaleConfig({ cwd: home, home, env: {} }).catch((caught) => caught);
      expect(error.code).toBe("CONFIG");
      expect(error.message).toContain("plugins[0].pth");
      expect(`${error.message} ${error.hint}`).toContain("path");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
