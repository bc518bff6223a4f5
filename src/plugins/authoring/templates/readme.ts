import { hookExamples } from "../hook-examples";
import { scaffoldMemoryPages } from "./project";

/** README.md of a new plugin: what the hooks send and expect, the limits, and the commands. */
export function readme(name: string): string {
  const json = (value: unknown) => `\`\`\`json\n${JSON.stringify(value, null, 2)}\n\`\`\``;
  const route = hookExamples["task:route"];
  const completed = hookExamples["task:completed"];
  const tick = hookExamples["metrics:tick"];
  return `# ${name}

A tale plugin: a WebAssembly module, written in AssemblyScript, that tale loads
through Extism and calls at fixed points ("hooks"). This one handles \`task:route\`: it decides whether a
task goes to the fast \`ux\` model or the large \`task\` model.

## Commands

\`\`\`sh
npm install                       # AssemblyScript, the Extism PDK and the test's Extism host, pinned
tale plugin build                 # or: npm run build  ->  build/${name}.wasm
npm test                          # builds, then runs test/plugin.test.mjs with node --test
tale plugin test build/${name}.wasm --hook task:route --input examples/task-route.json
\`\`\`

Use it in tale by adding it to \`tale.config.json\` (the file is reloaded when it changes, no restart):

\`\`\`json
{ "plugins": [{ "path": "./${name}/build/${name}.wasm", "config": { "longPromptTokens": 200 } }] }
\`\`\`

\`tale plugin list\` shows it loaded, with its calls, failures and circuit breaker state.

## How tale calls a plugin

- Once at load, the export \`tale_manifest\` returns the manifest: \`{ "name", "version", "hooks": [...], "limits": { "timeoutMs" } }\`.
- For each hook in \`hooks\`, tale calls the export of the same name with \`:\` written as \`_\`
  (\`task:route\` -> \`task_route\`). The input is JSON text; the export writes its answer as JSON with
  \`Host.output\` and returns 0. To refuse an input, set an error and return 1 (see \`fail\` in
  \`assembly/index.ts\`): tale then uses its built-in policy for that call.
- Every input carries \`"version": 1\`, the hook schema version. A new incompatible version gets a new
  number; a plugin may refuse versions it does not know.
- \`config\` from tale's config reaches the plugin through \`Config.get(key)\`, as strings.

### task:route

Input: cheap features of the request, per-role statistics and the engines that can take work.

${json(route.input)}

Answer: \`role\` is \`"ux"\` or \`"task"\`; \`engine\` (one of \`engines[role]\`), \`maxTokens\` (an answer budget)
and \`reason\` (recorded with the task) are optional.

${json(route.output)}

### task:completed

Feedback after every task; the answer is ignored beyond being a JSON object.

${json(completed.input)}

${json(completed.output)}

### metrics:tick

Called periodically with the daemon's state; a plugin may answer with alerts to log.

${json(tick.input)}

${json(tick.output)}

## Limits

- **Deadline:** each call must finish within \`limits.timeoutMs\` (default 50 ms). A plugin past its deadline is
  killed and restarted; the call uses tale's built-in policy.
- **Memory:** the module must declare a maximum memory; \`asconfig.json\` sets ${scaffoldMemoryPages} pages of 64 KiB
  (\`maximumMemory\`). Allocating past it traps. tale refuses a module with no maximum or one above its limit.
- **Sandbox:** no file system, no network, no WASI, no host functions beyond Extism's own.
- **Circuit breaker:** a plugin that fails or times out repeatedly is switched off, tale's built-in policy takes
  over, an alert is logged and \`tale status\` shows it; the plugin is tried again later.

## Writing AssemblyScript for tale

- Write output with \`Host.output(Uint8Array.wrap(String.UTF8.encode(json)))\`: \`Host.outputString\` in
  as-pdk 1.0.0 miscounts non-ASCII text.
- Keep \`"use": ["abort=assembly/index/pluginAbort"]\` in \`asconfig.json\`: without it the module imports
  \`env.abort\`, which no host provides, and does not load.
- \`runtime: "incremental"\` frees memory between calls. The stub runtime is smaller and faster but never
  frees: use it only if every export starts with \`heap.reset()\` and no global holds an object.
- Plugin variables (\`Var\`) may be dropped at any time; keep nothing there you cannot rebuild.
`;
}
