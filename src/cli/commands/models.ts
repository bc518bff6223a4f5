import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineCommand } from "citty";
import { homePaths } from "../../daemon/home";
import { TaleError } from "../../errors";
import { table } from "../output/task-view";

const synth = defineCommand({
  meta: { name: "synth", description: "Generate a llama GGUF with deterministic random weights (output is gibberish)" },
  args: {
    out: { type: "string", required: true, description: "File to write" },
    preset: { type: "enum", options: ["ux", "task"], default: "ux", description: "Shape to start from" },
    "n-embd": { type: "string", description: "Hidden size" },
    "n-layer": { type: "string", description: "Transformer blocks" },
    "n-head": { type: "string", description: "Attention heads" },
    "n-ff": { type: "string", description: "Feed-forward size" },
    "context-length": { type: "string", description: "Training context length" },
    seed: { type: "string", description: "PRNG seed" },
    name: { type: "string", description: "Model name" },
    json: { type: "boolean", description: "Print JSON" },
  },
  async run({ args }) {
    const { synthesizeModel } = await import("../../models/synth");
    const result = await synthesizeModel({
      out: resolve(args.out),
      preset: args.preset as "ux" | "task",
      nEmbd: integer(args["n-embd"], "--n-embd"),
      nLayer: integer(args["n-layer"], "--n-layer"),
      nHead: integer(args["n-head"], "--n-head"),
      nFf: integer(args["n-ff"], "--n-ff"),
      contextLength: integer(args["context-length"], "--context-length"),
      seed: integer(args.seed, "--seed"),
      name: args.name,
    });
    if (args.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    process.stdout.write(`${result.path}: ${result.name}, ${(result.parameters / 1e6).toFixed(2)}M parameters, ${(result.bytes / 1048576).toFixed(1)} MB, ${Math.round(result.elapsedMs)} ms\n`);
  },
});

const pull = defineCommand({
  meta: { name: "pull", description: "Download a GGUF model (hf:<user>/<repo>/<file>.gguf or an https URL)" },
  args: {
    uri: { type: "positional", required: true, description: "Model URI" },
    dir: { type: "string", description: "Folder to save into (default TALE_HOME/models)" },
  },
  async run({ args }) {
    const { pullModel } = await import("../../models/pull");
    const path = await pullModel({ uri: String(args.uri), dir: args.dir ? resolve(args.dir) : homePaths().modelsDir, progress: Boolean(process.stderr.isTTY) });
    process.stdout.write(`${path}\nUse it with: { "models": { "task": { "engine": "builtin", "model": "${path}" } } } in tale.config.json\n`);
  },
});

const list = defineCommand({
  meta: { name: "list", description: "List the GGUF files in TALE_HOME/models" },
  args: { json: { type: "boolean", description: "Print JSON" } },
  run({ args }) {
    const dir = homePaths().modelsDir;
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((name) => name.endsWith(".gguf"));
    } catch {
      // No models folder yet: nothing pulled or generated.
    }
    const models = names.map((name) => ({ name, path: join(dir, name), bytes: statSync(join(dir, name)).size }));
    if (args.json) {
      process.stdout.write(`${JSON.stringify(models)}\n`);
      return;
    }
    if (!models.length) {
      process.stdout.write(`No models in ${dir} yet; the defaults are generated on first start.\n`);
      return;
    }
    process.stdout.write(`${table(["NAME", "SIZE", "PATH"], models.map((model) => [model.name, `${(model.bytes / 1048576).toFixed(1)} MB`, model.path]))}\n`);
  },
});

export default defineCommand({
  meta: { name: "models", description: "Generate, download and list models" },
  subCommands: { synth, pull, list },
});

function integer(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new TaleError("BAD_REQUEST", `Invalid ${flag} "${text}".`, { hint: "Use a whole number." });
  return value;
}
