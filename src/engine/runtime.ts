import { join } from "node:path";
import { embeddedRuntime, unpackRuntime } from "./embedded-runtime";

/**
 * The only place that loads node-llama-cpp at run time. Keeping the import
 * behind one function lets the compiled binary swap in a copy it unpacks from
 * itself, since bun cannot bundle node-llama-cpp (it reads its own package
 * files and native prebuilt at run time).
 */
export async function importNodeLlamaCpp(): Promise<typeof import("node-llama-cpp")> {
  const runtime = embeddedRuntime();
  if (!runtime) return await import("node-llama-cpp");
  const dir = await unpackRuntime(runtime);
  return (await import(join(dir, "node_modules", "node-llama-cpp", "dist", "index.js"))) as typeof import("node-llama-cpp");
}
