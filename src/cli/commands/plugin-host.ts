import { defineCommand } from "citty";
import { runPluginHost } from "../../plugins/host-process";

export default defineCommand({
  meta: { name: "plugin-host", description: "Host one WebAssembly plugin for the daemon over IPC (started by the daemon)", hidden: true },
  async run() {
    runPluginHost();
    // The lifeline or the parent's SIGKILL ends the process; until then the command stays in flight so the CLI does not wind down.
    await new Promise<never>(() => {});
  },
});
