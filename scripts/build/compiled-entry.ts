/**
 * Entry point of the compiled binary only: hands the embedded engine runtime
 * and default plugins over, then runs the same CLI as a development run.
 */
import routerPlugin from "../../dist/.build/plugins/router.wasm" with { type: "file" };
import runtimeArchive from "../../dist/.build/engine-runtime.tar.gz" with { type: "file" };
import runtimeManifest from "../../dist/.build/engine-runtime.json";
import { isRuntimeScript, useEmbeddedRuntime } from "../../src/engine/embedded-runtime";
import { useEmbeddedPlugins } from "../../src/plugins/embedded";

useEmbeddedRuntime({ archivePath: runtimeArchive, id: runtimeManifest.id });
// One import per plugins/<name>/ folder; the build compiles each to dist/.build/plugins/<name>.wasm.
useEmbeddedPlugins({ router: routerPlugin });

// node-llama-cpp checks its native binding by forking process.execPath with
// one of its own scripts; inside the binary that script must run, not the CLI.
const script = process.argv[2];
if (script && isRuntimeScript(script)) await import(script);
else await import("../../src/main");
