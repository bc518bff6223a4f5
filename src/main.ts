import { rootCommand } from "./cli";
import { runCli } from "./cli/run";

await runCli(rootCommand, process.argv.slice(2));
