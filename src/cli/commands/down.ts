import { defineCommand } from "citty";
import { homePaths } from "../../daemon/home";
import { stopDaemon } from "../../daemon/stop";

export default defineCommand({
  meta: { name: "down", description: "Stop the daemon and every engine it started" },
  async run() {
    const result = await stopDaemon(homePaths());
    if (!result.pid) {
      process.stdout.write("tale is not running.\n");
      return;
    }
    process.stdout.write(result.forced ? `tale (pid ${result.pid}) did not stop in time and was killed.\n` : `tale stopped (pid ${result.pid}).\n`);
  },
});
