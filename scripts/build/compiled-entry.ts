/**
 * Entry point of the compiled binary only: hands the embedded engine runtime
 * to the engine, then runs the same CLI as a development run.
 */
import runtimeArchive from "../../dist/.build/engine-runtime.tar.gz" with { type: "file" };
import runtimeManifest from "../../dist/.build/engine-runtime.json";
import { isRuntimeScript, useEmbeddedRuntime } from "../../src/engine/embedded-runtime";

useEmbeddedRuntime({ archivePath: runtimeArchive, id: runtimeManifest.id });

// node-llama-cpp checks its native binding by forking process.execPath with
// one of its own scripts; inside the binary that script must run, not the CLI.
const script = process.argv[2];
if (script && isRuntimeScript(script)) await import(script);
else await import("../../src/main");
