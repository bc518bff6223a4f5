import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hookExamples } from "../../src/plugins/authoring/hook-examples";
import { hookNames } from "../../src/plugins/hook-schema";
import { repoRoot, taleBinary, type RunResult } from "../helpers/tale";

/**
 * The authoring flow as a new user meets it, with the compiled binary:
 * `tale plugin new`, install, `tale plugin build`, the scaffold's own test,
 * `tale plugin test`. To stay offline and fast, the project's node_modules is
 * a link to this repo's, which pins the same versions the scaffold does.
 */
let workDir: string;

beforeAll(() => {
  if (!existsSync(taleBinary)) throw new Error(`${taleBinary} is missing: run \`bun run build\` first (npm test does).`);
  workDir = mkdtempSync(join(tmpdir(), "tale-plugin-authoring-"));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

async function run(command: string[], cwd: string): Promise<RunResult> {
  const child = Bun.spawn(command, { cwd, env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe", stdin: "ignore", timeout: 60_000 });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { exitCode, stdout, stderr };
}

function tale(args: string[], cwd = workDir): Promise<RunResult> {
  return run([taleBinary, ...args], cwd);
}

/** A scaffolded project with the repo's packages standing in for `npm install`. */
async function newProject(name: string): Promise<string> {
  const created = await tale(["plugin", "new", name]);
  expect(created.exitCode).toBe(0);
  const dir = join(workDir, name);
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

describe("tale plugin", () => {
  test("a new project builds, passes its own test and answers tale plugin test", async () => {
    const dir = await newProject("demo");
    for (const file of ["package.json", "asconfig.json", "assembly/index.ts", "test/plugin.test.mjs", "examples/task-route.json", ".gitignore", "README.md"]) {
      expect(existsSync(join(dir, file))).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).devDependencies).toEqual({
      "@extism/as-pdk": "1.0.0",
      "@extism/extism": "1.0.3",
      assemblyscript: "0.28.20",
      "assemblyscript-json": "1.1.0",
    });

    const built = await tale(["plugin", "build"], dir);
    expect(built.stderr).toBe("");
    expect(built.stdout).toMatch(/^Built build\/demo\.wasm \(\d+\.\d KB\) in \d+\.\ds\n$/);
    expect(existsSync(join(dir, "build", "demo.wasm"))).toBe(true);

    const ownTest = await run(["node", "--test", "test/plugin.test.mjs"], dir);
    expect({ exitCode: ownTest.exitCode, stderr: ownTest.stderr }).toEqual({ exitCode: 0, stderr: expect.any(String) });
    expect(ownTest.stdout).toContain("# pass 5");
    expect(ownTest.stdout).toContain("# fail 0");

    const tried = await tale(["plugin", "test", "build/demo.wasm", "--hook", "task:route", "--input", "examples/task-route.json", "--json"], dir);
    expect(tried.exitCode).toBe(0);
    const result = JSON.parse(tried.stdout);
    expect(result.plugin).toEqual({ name: "demo", version: "0.1.0", hooks: ["task:route"] });
    expect(result.output).toEqual({ role: "ux", reason: "short and no code" });
    expect(result.elapsedMs).toBeGreaterThan(0);

    const tuned = await tale(["plugin", "test", "build/demo.wasm", "--input", "examples/task-route.json", "--config", '{"longPromptTokens":2}'], dir);
    expect(tuned.exitCode).toBe(0);
    expect(JSON.parse(tuned.stdout.slice(0, tuned.stdout.lastIndexOf("}") + 1))).toEqual({ role: "task", reason: "long prompt" });
    expect(tuned.stdout).toMatch(/demo 0\.1\.0 · task:route · [\d.]+ (ms|µs)/);
  }, 60_000);

  test("plugin test runs the router embedded in the binary", async () => {
    const input = join(workDir, "route.json");
    writeFileSync(input, JSON.stringify(hookExamples["task:route"].input));
    const routed = await tale(["plugin", "test", "router", "--input", input, "--json"]);
    expect(routed.exitCode).toBe(0);
    expect(JSON.parse(routed.stdout)).toMatchObject({ plugin: { name: "router", version: "1.0.0" }, output: { role: "ux", reason: "conversation", maxTokens: 256 } });

    const completed = join(workDir, "completed.json");
    writeFileSync(completed, JSON.stringify(hookExamples["task:completed"].input));
    const feedback = await tale(["plugin", "test", "router", "--hook", "task:completed", "--input", completed, "--json"]);
    expect(JSON.parse(feedback.stdout).output).toEqual({});

    const unhandled = await tale(["plugin", "test", "router", "--hook", "metrics:tick", "--input", completed]);
    expect(unhandled.exitCode).toBe(2);
    expect(unhandled.stderr).toContain("router does not handle metrics:tick");
  }, 30_000);

  test("mistakes get a clear error and the fix", async () => {
    const badName = await tale(["plugin", "new", "My Plugin"]);
    expect(badName.exitCode).toBe(2);
    expect(badName.stderr).toContain("is not a usable plugin name");

    expect((await tale(["plugin", "new", "twice"])).exitCode).toBe(0);
    const again = await tale(["plugin", "new", "twice"]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain("already exists");

    // No node_modules anywhere above a fresh temp folder: asc is missing.
    const notInstalled = await tale(["plugin", "build", join(workDir, "twice")]);
    expect(notInstalled.exitCode).toBe(2);
    expect(notInstalled.stderr).toContain("AssemblyScript is not installed");
    expect(notInstalled.stderr).toContain("npm install");

    const notAProject = await tale(["plugin", "build", tmpdir()]);
    expect(notAProject.stderr).toContain("has no asconfig.json");

    const notWasm = join(workDir, "notes.wasm");
    writeFileSync(notWasm, "just text");
    const refused = await tale(["plugin", "test", notWasm, "--input", notWasm]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("is not valid JSON");
    const input = join(workDir, "case.json");
    writeFileSync(input, "{}");

    const missingWasm = await tale(["plugin", "test", "nowhere/x.wasm", "--input", input]);
    expect(missingWasm.exitCode).toBe(1);
    expect(missingWasm.stderr).toContain("nowhere/x.wasm does not exist");

    const notModule = await tale(["plugin", "test", notWasm, "--input", input]);
    expect(notModule.exitCode).toBe(1);
    expect(notModule.stderr).toContain("is not a usable WebAssembly module");

    const badHook = await tale(["plugin", "test", "router", "--hook", "task:start", "--input", input]);
    expect(badHook.exitCode).toBe(2);
    expect(badHook.stderr).toContain(`Hooks: ${hookNames.join(", ")}`);
  }, 30_000);

  test("build and test report a broken plugin with the fix", async () => {
    const dir = await newProject("broken");
    const source = join(dir, "assembly", "index.ts");
    writeFileSync(source, readFileSync(source, "utf8").replace("return answer(MANIFEST);", "return answer(MANIFEST, 1);"));
    const failed = await tale(["plugin", "build"], dir);
    expect(failed.exitCode).toBe(2);
    expect(failed.stderr).toContain("did not compile");
    expect(failed.stderr).toContain("assembly/index.ts");

    writeFileSync(source, readFileSync(source, "utf8").replace("return answer(MANIFEST, 1);", "return answer(MANIFEST);"));
    const config = JSON.parse(readFileSync(join(dir, "asconfig.json"), "utf8"));
    delete config.options.use;
    // Unoptimised: this test is about the check after compiling, not the code.
    config.options.optimizeLevel = 0;
    writeFileSync(join(dir, "asconfig.json"), JSON.stringify(config));
    const noAbort = await tale(["plugin", "build"], dir);
    expect(noAbort.exitCode).toBe(1);
    expect(noAbort.stderr).toContain("build/broken.wasm imports env.abort");
    expect(noAbort.stderr).toContain("--use abort=");

    // A plugin that never answers is killed at its deadline, as in the daemon, and the command says so.
    config.options.use = ["abort=assembly/index/pluginAbort"];
    writeFileSync(join(dir, "asconfig.json"), JSON.stringify(config));
    writeFileSync(source, readFileSync(source, "utf8").replace("const input = JSON.parse(Host.input());", "while (Host.input().length > 0) {}\n  const input = JSON.parse(Host.input());"));
    expect((await tale(["plugin", "build"], dir)).exitCode).toBe(0);
    const started = performance.now();
    const stuck = await tale(["plugin", "test", "build/broken.wasm", "--input", "examples/task-route.json"], dir);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(stuck.exitCode).toBe(1);
    expect(stuck.stderr).toContain("PLUGIN_FAILED");
    expect(stuck.stderr).toMatch(/50 ms/);
  }, 60_000);

  test("docs/plugins.md shows each hook's example input and answer", () => {
    const docs = readFileSync(join(repoRoot, "docs", "plugins.md"), "utf8");
    for (const hook of hookNames) {
      expect(docs).toContain(`### \`${hook}\``);
      expect(docs).toContain(JSON.stringify(hookExamples[hook].input, null, 2));
      expect(docs).toContain(JSON.stringify(hookExamples[hook].output, null, 2));
    }
  });
});
