import { afterEach, expect, test } from "bun:test";
import { createPluginManager, type PluginManager } from "../../src/plugins";
import { compileFixture } from "../helpers/compile-plugin";
import { socketsOf } from "../helpers/listening-sockets";
import { livePluginHosts, pluginHostCommand, routeInput } from "../helpers/plugin-kit";

const managers: PluginManager[] = [];

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.close()));
  expect(livePluginHosts()).toEqual([]);
});

test("the socket check sees a listener when there is one", () => {
  const before = socketsOf(process.pid).listening;
  const tcp = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    expect(socketsOf(process.pid).listening.length).toBe(before.length + 1);
  } finally {
    tcp.stop(true);
  }
});

test("a plugin host accepts no connections: it talks to the daemon only over the IPC channel made at spawn", async () => {
  const plugins = createPluginManager({ hostCommand: pluginHostCommand, watch: false });
  managers.push(plugins);
  const router = await plugins.load({ path: await compileFixture("router") });
  expect((await plugins.call(router, "task:route", routeInput("t1", 12))).role).toBe("ux");
  const sockets = socketsOf(router.pid!);
  // The IPC channel is a socket pair inherited from the daemon: connected, never listening.
  expect(sockets.open.length).toBeGreaterThan(0);
  expect(sockets.listening).toEqual([]);
});
