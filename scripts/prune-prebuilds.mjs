// Runs after `npm install`. npm installs every node-llama-cpp prebuilt that
// matches the OS (CUDA, Vulkan, ARM: ~650 MB); tale's engine runs on the CPU
// build, so the rest is removed unless TALE_KEEP_GPU_PREBUILDS=1.
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const dir = join(process.cwd(), "node_modules", "@node-llama-cpp");
const keep = `${process.platform}-${process.arch}`;
if (process.env.TALE_KEEP_GPU_PREBUILDS === "1") process.exit(0);

let removed = 0;
let entries = [];
try {
  entries = readdirSync(dir);
} catch {
  process.exit(0);
}
for (const name of entries) {
  if (name === keep) continue;
  rmSync(join(dir, name), { recursive: true, force: true });
  removed++;
}
if (removed) console.log(`tale: removed ${removed} unused node-llama-cpp prebuilt(s); kept ${keep} (set TALE_KEEP_GPU_PREBUILDS=1 to keep them)`);
