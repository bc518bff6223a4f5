import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFaultServer, type FaultServer } from "../helpers/fault-server";
import { createTaleHome, waitFor, type TaleHome } from "../helpers/tale";

/**
 * TALE_HOME on a small tmpfs of its own, so "full" and "read-only" are real
 * file-system states (root ignores chmod, so a mode bit would prove nothing).
 */
const mountPoint = mkdtempSync(join(tmpdir(), "tale-fault-fs-probe-"));
const canMount = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]).exitCode === 0;
if (canMount) Bun.spawnSync(["umount", mountPoint]);
rmSync(mountPoint, { recursive: true, force: true });
if (!canMount) console.log("skipping storage faults: this machine does not allow `mount -t tmpfs` (needs root)");

let tale: TaleHome | undefined;
let faults: FaultServer | undefined;
let mounted: string | undefined;
afterEach(async () => {
  if (mounted) Bun.spawnSync(["mount", "-o", "remount,rw", mounted]);
  await tale?.cleanup();
  faults?.stop();
  if (mounted) {
    await unmount(mounted);
    rmSync(mounted, { recursive: true, force: true });
  }
  tale = faults = mounted = undefined;
});

/** The daemon's last file handles can outlive `tale down` by a moment; a lazy unmount after that never leaves the mount behind. */
async function unmount(path: string): Promise<void> {
  for (let tries = 0; tries < 20; tries++) {
    if (Bun.spawnSync(["umount", path]).exitCode === 0) return;
    await Bun.sleep(100);
  }
  Bun.spawnSync(["umount", "-l", path]);
}

async function daemonOnTmpfs(sizeMb: number): Promise<TaleHome> {
  mounted = mkdtempSync(join(tmpdir(), "tale-fault-fs-"));
  expect(Bun.spawnSync(["mount", "-t", "tmpfs", "-o", `size=${sizeMb}m`, "tmpfs", mounted]).exitCode).toBe(0);
  faults = startFaultServer();
  tale = createTaleHome({ TALE_HOME: mounted });
  const engine = { engine: "remote", baseUrl: faults.baseUrl, model: "fault-injector" };
  writeFileSync(join(mounted, "config.json"), JSON.stringify({ models: { ux: engine, task: engine }, pluginRuntime: { builtinRouter: false } }));
  const up = await tale.run(["up"]);
  expect(up.stderr).toBe("");
  expect(up.exitCode).toBe(0);
  expect((await tale.json(["submit", "before", "--role", "task"])).status).toBe("succeeded");
  return tale;
}

function integrity(home: string): string {
  const db = new Database(join(home, "tale.db"), { readonly: true });
  try {
    return db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").get()!.integrity_check;
  } finally {
    db.close();
  }
}

describe.skipIf(!canMount)("storage faults", () => {
  test("a full disk: a clear STORAGE error, reads keep working, nothing is corrupted, and space coming back heals it", async () => {
    const tale = await daemonOnTmpfs(8);
    const filler = join(mounted!, "filler");
    Bun.spawnSync(["dd", "if=/dev/zero", `of=${filler}`, "bs=64k"]);
    const refused = await tale.run(["submit", "while full", "--role", "task"]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain("disk holding TALE_HOME is full");
    expect(refused.stderr).toContain("[STORAGE]");
    expect(refused.stderr).not.toContain("    at ");
    const listed = await tale.json(["list"]);
    expect(listed.map((task: { prompt: string }) => task.prompt)).toEqual(["before"]);
    expect((await tale.json(["status"])).engines.length).toBe(2);

    rmSync(filler);
    expect((await tale.json(["submit", "after", "--role", "task"])).status).toBe("succeeded");
    expect(integrity(mounted!)).toBe("ok");
  }, 30_000);

  test("a read-only TALE_HOME: the daemon refuses to start with a clear STORAGE error and the database is left as it was", async () => {
    const tale = await daemonOnTmpfs(16);
    expect((await tale.run(["down"])).exitCode).toBe(0);
    const before = await Bun.file(join(mounted!, "tale.db")).arrayBuffer();
    // Once the last process holding a file open for writing is gone, the file system itself can turn read-only.
    await waitFor(() => Bun.spawnSync(["mount", "-o", "remount,ro", mounted!]).exitCode === 0, 5000, "the tmpfs to remount read-only");
    const refused = await tale.run(["up"]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain("STORAGE");
    expect(refused.stderr).not.toContain("    at ");
    expect(Buffer.from(await Bun.file(join(mounted!, "tale.db")).arrayBuffer()).equals(Buffer.from(before))).toBe(true);
    // SQLite cannot open a WAL database on a read-only file system even to read it, so check it once writable again.
    expect(Bun.spawnSync(["mount", "-o", "remount,rw", mounted!]).exitCode).toBe(0);
    expect(integrity(mounted!)).toBe("ok");
  }, 30_000);
});
