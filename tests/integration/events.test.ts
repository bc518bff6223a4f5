import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readServerSentEvents } from "../../src/util/sse";
import { createTaleHome, taleBinary, waitFor, type TaleHome } from "../helpers/tale";

/** GET /v1/events and `tale watch` on a real daemon. */
describe("event stream", () => {
  let tale: TaleHome;
  let baseUrl: string;
  let token: string;

  beforeAll(async () => {
    tale = createTaleHome();
    await tale.json(["submit", "warm up", "--role", "ux", "--max-tokens", "2"]);
    ({ baseUrl, token } = tale.connection());
  });
  afterAll(() => tale.cleanup());

  test("task state changes and an engine restart arrive in order", async () => {
    const abort = new AbortController();
    const response = await fetch(`${baseUrl}/v1/events`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
    const seen: any[] = [];
    const reading = (async () => {
      try {
        for await (const { event, data } of readServerSentEvents(response.body!)) if (event !== "ready") seen.push(JSON.parse(data));
      } catch {
        // Aborted at the end of the test.
      }
    })();
    await Bun.sleep(50);

    const task = await tale.json(["submit", "hello", "--role", "ux", "--max-tokens", "3"]);
    const status = await tale.json(["status"]);
    const ux = status.engines.find((engine: { role: string }) => engine.role === "ux");
    process.kill(ux.pid, "SIGKILL");
    await waitFor(() => seen.some((event) => event.type === "engine" && event.engine.id === ux.id && event.engine.state === "healthy"), 20_000, "the engine to be back");
    abort.abort();
    await reading;

    const statuses = seen.filter((event) => event.type === "task" && event.task.id === task.id).map((event) => event.task.status);
    expect(statuses).toEqual(["queued", "running", "succeeded"]);
    const engineStates = seen.filter((event) => event.type === "engine" && event.engine.id === ux.id).map((event) => event.engine.state);
    expect(engineStates[0]).toBe("crashed");
    expect(engineStates.at(-1)).toBe("healthy");
  });

  test("tale watch prints the same changes for people", async () => {
    const child = Bun.spawn([taleBinary, "watch", "--types", "task"], { env: tale.env, stdout: "pipe", stderr: "pipe" });
    try {
      await Bun.sleep(300);
      const task = await tale.json(["submit", "hello", "--role", "ux", "--max-tokens", "3"]);
      const reader = child.stdout.getReader();
      let text = "";
      await waitFor(async () => {
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
        return text.includes(`${task.id} succeeded`);
      }, 10_000, "tale watch to show the task");
      expect(text).toContain(`${task.id} running on ux-0`);
    } finally {
      child.kill();
      await child.exited;
    }
  });
});
