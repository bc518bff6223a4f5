import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTaleHome } from "../helpers/tale";

const tale = createTaleHome();
afterAll(() => tale.cleanup());

test("a client over its submission rate gets 429 with Retry-After and a hint; other clients and reads are not held back", async () => {
  writeFileSync(join(tale.home, "config.json"), JSON.stringify({ api: { rateLimitPerMinute: 6, rateLimitBurst: 2 } }));
  await tale.run(["up"]);
  const { port } = JSON.parse(await Bun.file(join(tale.home, "daemon.json")).text());
  const token = (await Bun.file(join(tale.home, "token")).text()).trim();
  const submit = (client: string) =>
    fetch(`http://127.0.0.1:${port}/v1/tasks`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-tale-client": client },
      body: JSON.stringify({ prompt: "hello", role: "ux", max_tokens: 2 }),
    });
  expect((await submit("alice")).status).toBe(201);
  expect((await submit("alice")).status).toBe(201);
  const refused = await submit("alice");
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(9);
  const { error } = (await refused.json()) as { error: { code: string; message: string; hint: string } };
  expect(error.code).toBe("RATE_LIMITED");
  expect(error.message).toContain('"alice"');
  expect(error.hint).toContain("api.rateLimitPerMinute");
  expect((await submit("bob")).status).toBe(201);
  const status = await fetch(`http://127.0.0.1:${port}/v1/status`, { headers: { authorization: `Bearer ${token}` } });
  expect(status.status).toBe(200);
});
