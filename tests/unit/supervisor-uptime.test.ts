import { describe, expect, test } from "bun:test";
import { createUptimeProof, defaultMinUptimeMs } from "../../src/supervisor/uptime";

/** Real timers on a short minimum uptime: the proof is a timer, so the test lets it run. */
const minUptimeMs = 40;

function proofUnderTest() {
  let provenCalls = 0;
  const proof = createUptimeProof(minUptimeMs, () => provenCalls++);
  return { proof, provenCalls: () => provenCalls };
}

describe("uptime proof (pm2's min_uptime)", () => {
  test("an engine that stays healthy for the minimum uptime proves itself, once, and its end says so", async () => {
    const { proof, provenCalls } = proofUnderTest();
    const since = Date.now();
    proof.healthy(() => since);
    proof.healthy(() => since);
    await Bun.sleep(minUptimeMs + 30);
    expect(provenCalls()).toBe(1);
    expect(proof.end(since, Date.now())).toBe(true);
  });

  test("an engine that dies before the minimum uptime has proved nothing", () => {
    const { proof, provenCalls } = proofUnderTest();
    const since = Date.now();
    proof.healthy(() => since);
    expect(proof.end(since, since + minUptimeMs - 1)).toBe(false);
    expect(provenCalls()).toBe(0);
  });

  test("an engine that never became healthy (died at start) has proved nothing", () => {
    const { proof } = proofUnderTest();
    expect(proof.end(undefined, Date.now())).toBe(false);
  });

  test("a late timer does not matter: the healthy period itself counts at the end", () => {
    const { proof } = proofUnderTest();
    const since = Date.now();
    proof.healthy(() => since);
    expect(proof.end(since, since + minUptimeMs)).toBe(true);
  });

  test("the next process starts unproven", async () => {
    const { proof } = proofUnderTest();
    const since = Date.now();
    proof.healthy(() => since);
    await Bun.sleep(minUptimeMs + 30);
    expect(proof.end(since, Date.now())).toBe(true);
    expect(proof.end(undefined, Date.now())).toBe(false);
  });

  test("a health blip restarts the clock; the next healthy report arms it again", async () => {
    const { proof, provenCalls } = proofUnderTest();
    let since: number | undefined = Date.now();
    proof.healthy(() => since);
    since = undefined;
    await Bun.sleep(minUptimeMs + 30);
    expect(provenCalls()).toBe(0);
    since = Date.now();
    proof.healthy(() => since);
    await Bun.sleep(minUptimeMs + 30);
    expect(provenCalls()).toBe(1);
  });

  test("stop() cancels a pending proof", async () => {
    const { proof, provenCalls } = proofUnderTest();
    const since = Date.now();
    proof.healthy(() => since);
    proof.stop();
    await Bun.sleep(minUptimeMs + 30);
    expect(provenCalls()).toBe(0);
  });

  test("the default is pm2's: one second", () => {
    expect(defaultMinUptimeMs).toBe(1000);
  });
});
