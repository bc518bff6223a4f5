import { describe, expect, test } from "bun:test";
import { TaleError } from "../../src/errors";
import { canTransition, engineEvents, engineStates, transition, type EngineEvent, type EngineState } from "../../src/supervisor/engine-state";

// The specification, written out independently of the implementation's table.
const allowed: [EngineState, EngineEvent, EngineState][] = [
  ["stopped", "start", "starting"],
  ["starting", "ready", "healthy"],
  ["starting", "healthFail", "unhealthy"],
  ["starting", "exited", "crashed"],
  ["starting", "stop", "stopping"],
  ["healthy", "healthOk", "healthy"],
  ["healthy", "healthFail", "unhealthy"],
  ["healthy", "exited", "crashed"],
  ["healthy", "stop", "stopping"],
  ["unhealthy", "healthOk", "healthy"],
  ["unhealthy", "healthFail", "unhealthy"],
  ["unhealthy", "exited", "crashed"],
  ["unhealthy", "giveUp", "failed"],
  ["unhealthy", "stop", "stopping"],
  ["crashed", "retry", "backoff"],
  ["crashed", "giveUp", "failed"],
  ["crashed", "stop", "stopping"],
  ["backoff", "backoffElapsed", "starting"],
  ["backoff", "stop", "stopping"],
  ["stopping", "stopped", "stopped"],
  ["failed", "halfOpen", "starting"],
  ["failed", "stop", "stopping"],
];

describe("engine state machine", () => {
  for (const [from, event, to] of allowed) {
    test(`${from} --${event}--> ${to}`, () => {
      expect(canTransition(from, event)).toBe(true);
      expect(transition(from, event)).toBe(to);
    });
  }

  test("every other state/event pair is rejected with an INTERNAL TaleError", () => {
    const allowedKeys = new Set(allowed.map(([from, event]) => `${from}/${event}`));
    let rejected = 0;
    for (const state of engineStates) {
      for (const event of engineEvents) {
        if (allowedKeys.has(`${state}/${event}`)) continue;
        expect(canTransition(state, event)).toBe(false);
        let thrown: unknown;
        try {
          transition(state, event);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(TaleError);
        expect((thrown as TaleError).code).toBe("INTERNAL");
        expect((thrown as TaleError).message).toContain(`"${event}"`);
        rejected++;
      }
    }
    expect(rejected).toBe(engineStates.length * engineEvents.length - allowed.length);
  });

  test("a crash-restart cycle walks the documented path", () => {
    const path: EngineEvent[] = ["start", "ready", "exited", "retry", "backoffElapsed", "ready", "stop", "stopped"];
    const states = path.reduce<EngineState[]>((seen, event) => [...seen, transition(seen.at(-1)!, event)], ["stopped"]);
    expect(states).toEqual(["stopped", "starting", "healthy", "crashed", "backoff", "starting", "healthy", "stopping", "stopped"]);
  });
});
