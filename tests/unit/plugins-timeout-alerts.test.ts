import { expect, test } from "bun:test";
import { createTimeoutAlerts } from "../../src/plugins/timeout-alerts";

test("timeout alerts: the first at once, the rest of an interval counted into the next, per plugin", async () => {
  const raised: string[] = [];
  const alerts = createTimeoutAlerts(100, (plugin, message) => raised.push(`${plugin}: ${message}`));
  for (let index = 0; index < 3; index++) alerts.timedOut("a", `late ${index}.`);
  alerts.timedOut("b", "late.");
  expect(raised).toHaveLength(2);
  expect(raised[0]).toBe('a: Plugin "a" is timing out: last: late 0. Its fallback answers for each; at most one such alert every 0.1 s.');
  await Bun.sleep(120);
  alerts.timedOut("a", "late 3.");
  expect(raised).toHaveLength(3);
  expect(raised[2]).toStartWith('a: Plugin "a" is timing out: 3 timeouts since the last alert; last: late 3.');
});
