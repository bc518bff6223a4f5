import { describe, expect, test } from "bun:test";
import { TaleError } from "../../src/errors";
import { createEndpointBreaker } from "../../src/supervisor/endpoint-breaker";
import { createEngineCircuit } from "../../src/supervisor/engine-circuit";
import { fallbackFor } from "../../src/supervisor/role-fallback";

const policy = { maxCrashes: 3, windowMs: 10_000, cooldownMs: 5_000 };

describe("engine circuit", () => {
  test("stays closed below the crash-loop limit and opens at it, with the trial time", () => {
    const circuit = createEngineCircuit(policy);
    expect(circuit.recordFailure(1_000)).toBe("closed");
    expect(circuit.recordFailure(2_000)).toBe("closed");
    expect(circuit.retryAt).toBeUndefined();
    expect(circuit.recordFailure(3_000)).toBe("open");
    expect(circuit.crashCount).toBe(3);
    expect(circuit.retryAt).toBe(8_000);
  });

  test("crashes that fall out of the window do not count", () => {
    const circuit = createEngineCircuit(policy);
    circuit.recordFailure(0);
    circuit.recordFailure(1_000);
    expect(circuit.recordFailure(11_500)).toBe("closed");
    expect(circuit.crashCount).toBe(1);
  });

  test("a hopeless failure opens it at once", () => {
    const circuit = createEngineCircuit(policy);
    expect(circuit.recordFailure(0, { hopeless: true })).toBe("open");
  });

  test("half-open: one failure re-opens it for a new cool-down", () => {
    const circuit = createEngineCircuit(policy);
    for (const at of [0, 1, 2]) circuit.recordFailure(at);
    circuit.halfOpen();
    expect(circuit.state).toBe("half-open");
    expect(circuit.retryAt).toBeUndefined();
    expect(circuit.recordFailure(60_000)).toBe("open");
    expect(circuit.retryAt).toBe(65_000);
  });

  test("half-open: becoming healthy closes it and forgets the crash history", () => {
    const circuit = createEngineCircuit(policy);
    for (const at of [0, 1, 2]) circuit.recordFailure(at);
    circuit.halfOpen();
    circuit.recordHealthy();
    expect(circuit.state).toBe("closed");
    expect(circuit.crashCount).toBe(0);
    // A fresh history: one new crash is a restart, not an open circuit.
    expect(circuit.recordFailure(3)).toBe("closed");
  });

  test("healthy reports cannot close an open circuit, and half-open only follows open", () => {
    const circuit = createEngineCircuit(policy);
    circuit.halfOpen();
    expect(circuit.state).toBe("closed");
    for (const at of [0, 1, 2]) circuit.recordFailure(at);
    circuit.recordHealthy();
    expect(circuit.state).toBe("open");
  });
});

describe("role fallback", () => {
  test("task served by ux is degraded; ux served by task is not", () => {
    expect(fallbackFor("task", { task: "ux" })).toEqual({ role: "ux", fallbackFrom: "task", degraded: true });
    expect(fallbackFor("ux", { ux: "task" })).toEqual({ role: "task", fallbackFrom: "ux", degraded: false });
  });

  test("no fallback configured, or a role falling back to itself, is none", () => {
    expect(fallbackFor("task", {})).toBeUndefined();
    expect(fallbackFor("task", { ux: "task" })).toBeUndefined();
    expect(fallbackFor("ux", { ux: "ux" })).toBeUndefined();
  });
});

describe("endpoint breaker (cockatiel)", () => {
  const unhealthy = () => Promise.reject(new TaleError("ENGINE_UNHEALTHY", "HTTP 500"));
  const settle = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

  test("opens after N counted failures in a row, refuses while cooling down, and a good trial closes it", async () => {
    const opened: TaleError[] = [];
    let closed = 0;
    const breaker = createEndpointBreaker("task-0", { failures: 2, cooldownMs: 80, onOpen: (error) => opened.push(error), onClose: () => closed++ });
    await settle(breaker.execute(unhealthy));
    expect(breaker.state).toBe("closed");
    await settle(breaker.execute(unhealthy));
    expect(breaker.state).toBe("open");
    expect(breaker.admits).toBe(false);
    expect(breaker.retryAt).toBeGreaterThan(Date.now());
    expect(opened).toHaveLength(1);
    expect(opened[0]!.message).toContain("Engine task-0 failed 2 requests in a row");
    expect(opened[0]!.message).toContain("Last failure: HTTP 500");

    const refused = await settle(breaker.execute(() => Promise.resolve("never sent")));
    expect(refused).toBeInstanceOf(TaleError);
    expect((refused as TaleError).code).toBe("ENGINE_UNHEALTHY");
    expect((refused as TaleError).retryable).toBe(true);

    await Bun.sleep(100);
    expect(breaker.admits).toBe(true);
    expect(await breaker.execute(() => Promise.resolve("ok"))).toBe("ok");
    expect(breaker.state).toBe("closed");
    expect(closed).toBe(1);
  });

  test("client errors, rate limits and cancellations do not count against the endpoint", async () => {
    const breaker = createEndpointBreaker("ux-0", { failures: 1, cooldownMs: 1000 });
    for (const code of ["BAD_REQUEST", "RATE_LIMITED", "CANCELLED", "CONTEXT_OVERFLOW"] as const) {
      await settle(breaker.execute(() => Promise.reject(new TaleError(code, code))));
    }
    expect(breaker.state).toBe("closed");
    await settle(breaker.execute(() => Promise.reject(new TaleError("ENGINE_CRASHED", "connection lost"))));
    expect(breaker.state).toBe("open");
  });
});
