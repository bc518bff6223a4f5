import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTaleHome } from "../helpers/tale";

const tale = createTaleHome();
afterAll(() => tale.cleanup());

test("a client over its submission rate gets 429 with Retry-After and a hint; other clients and reads are not held back", async () => {
  writeFileSync(join(tale.home, "config.json"), JSON.stringify({ api: { rateLimitPerMinute: 6, rateLimitBurst: 2 } }));
  await tale.run(["up"]);
  const { baseUrl, token } = tale.connection();
  const submit = (client: string) =>
    fetch(`${baseUrl}/v1/tasks`, {
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
  const status = await fetch(`${baseUrl}/v1/status`, { headers: { authorization: `Bearer ${token}` } });
  expect(status.status).toBe(200);
});
