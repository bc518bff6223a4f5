import { expect, test } from "bun:test";
import type { ChatAgent } from "../../src/agent/chat-agent";
import { chatRoutes } from "../../src/api/chat-routes";
import { TaleError } from "../../src/errors";

test("an error inside a chat turn goes to the stream and to streamError, which is how refusals there are counted", async () => {
  const agent = {
    turn: async () => {
      throw new TaleError("OVERLOADED", "tale's queue is full.");
    },
  } as unknown as ChatAgent;
  const seen: string[] = [];
  const app = chatRoutes(agent, (error) => seen.push(error.code));
  const response = await app.request("/sessions/s1/turns", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ content: "hi" }) });
  const body = await response.text();
  expect(body).toContain("event: error");
  expect(body).toContain('"code":"OVERLOADED"');
  expect(seen).toEqual(["OVERLOADED"]);
});
