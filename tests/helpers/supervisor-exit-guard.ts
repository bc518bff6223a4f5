/**
 * A daemon stand-in that starts a supervised engine and then dies without
 * calling stop(): `bun supervisor-exit-guard.ts <port> <logDir> exit|throw`.
 * Prints {"pid","workerPid"} of the engine and its worker before dying.
 */
import { createSupervisor } from "../../src/supervisor";
import { miniServerEngine, supervisionConfig } from "./supervision";

const [port, logDir, how] = process.argv.slice(2);
const supervisor = createSupervisor({ config: supervisionConfig({ ux: miniServerEngine(Number(port), ["--grandchild"]) }), logDir: logDir!, log: () => {} });
const [snapshot] = await supervisor.start();
const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { workerPid: number };
console.log(JSON.stringify({ pid: snapshot!.pid, workerPid: health.workerPid }));
if (how === "throw") throw new Error("simulated daemon crash");
process.exit(0);
