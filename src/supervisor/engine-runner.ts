import { TaleError, toTaleError } from "../errors";
import { backoffDelayMs, type BackoffPolicy } from "./backoff";
import { describeExit, type ExitInfo } from "./child";
import { createEngineCircuit, type CircuitPolicy, type EngineCircuit } from "./engine-circuit";
import type { EngineHandle } from "./engine-handle";
import { hintFromLog, type EngineLog } from "./engine-log";
import type { EngineLauncher, RunningEngine } from "./launcher";
import { createUptimeProof, type UptimeProof } from "./uptime";
import { endpointDownError, isHopeless, openedError } from "./circuit-errors";

export interface RunnerTiming {
  healthIntervalMs: number;
  startTimeoutMs: number;
  /** Consecutive failed health checks that make a healthy engine unhealthy. */
  unhealthyAfter: number;
  /** Time between SIGTERM and SIGKILL when stopping. */
  stopGraceMs: number;
  /** Healthy time after which an engine's crash is no part of a crash loop (see uptime.ts). */
  minUptimeMs: number;
}

export interface EngineRunnerOptions {
  handle: EngineHandle;
  launcher: EngineLauncher;
  /** Absent for remote engines, which have no output of their own. */
  engineLog?: EngineLog;
  timing: RunnerTiming;
  backoff: BackoffPolicy;
  circuit: CircuitPolicy;
  /** One line per crash, restart and give-up. */
  report: (message: string) => void;
}

/**
 * Keeps one engine alive: launches it, checks its health, restarts it with
 * backoff after a crash, gives up on a crash loop, and stops it for good.
 */
export class EngineRunner {
  readonly handle: EngineHandle;
  readonly #options: EngineRunnerOptions;
  /** Aborted by `stop()`: cancels a launch in progress and every timer. */
  readonly #lifetime = new AbortController();
  #running?: RunningEngine;
  #killSpawned?: () => void;
  #attempt?: Promise<void>;
  #stopping?: Promise<void>;
  #backoffTimer?: Timer;
  #halfOpenTimer?: Timer;
  #healthTimer?: Timer;
  #checking = false;
  #healthFailures = 0;
  readonly #circuit: EngineCircuit;
  #backoffAttempt = 0;
  readonly #uptime: UptimeProof;
  /** Set when the runner kills an unresponsive engine itself, so its exit is reported for what it is. */
  #restartReason?: TaleError;

  constructor(options: EngineRunnerOptions) {
    this.#options = options;
    this.handle = options.handle;
    this.#circuit = createEngineCircuit(options.circuit);
    this.handle.circuit = this.#circuit;
    this.#uptime = createUptimeProof(options.timing.minUptimeMs, () => (this.#backoffAttempt = 0));
  }

  /** Resolves after the first launch attempt, whether it succeeded or not. */
  async start(): Promise<void> {
    this.handle.apply("start");
    await this.#launch();
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stopOnce();
    return this.#stopping;
  }

  /** Someone saw the engine misbehave: check it now, and a single failure counts. */
  checkNow(): void {
    void this.#checkHealth(true);
  }

  /** Synchronous SIGKILL of the engine process, for a daemon that is exiting. */
  killNow(): void {
    this.#killSpawned?.();
  }

  get #isStopping(): boolean {
    return this.#lifetime.signal.aborted;
  }

  #launch(): Promise<void> {
    this.#attempt = this.#launchOnce();
    return this.#attempt;
  }

  async #launchOnce(): Promise<void> {
    const { launcher, engineLog, timing } = this.#options;
    const { handle } = this;
    engineLog?.mark();
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new TaleError("ENGINE_START_FAILED", `Engine ${handle.id} did not become ready within ${timing.startTimeoutMs} ms.`)),
      timing.startTimeoutMs,
    );
    let running: RunningEngine;
    try {
      running = await launcher.launch({
        signal: AbortSignal.any([this.#lifetime.signal, deadline.signal]),
        onSpawn: (killNow) => (this.#killSpawned = killNow),
      });
    } catch (error) {
      if (!this.#isStopping) this.#crashed(this.#withLogHint(toTaleError(error, "ENGINE_START_FAILED")));
      return;
    } finally {
      clearTimeout(timer);
    }
    if (this.#isStopping) {
      await running.stop(timing.stopGraceMs);
      return;
    }
    this.#running = running;
    this.#healthFailures = 0;
    handle.attach(running);
    if (running.exited) {
      const exited = running.exited;
      this.#healthy("ready");
      void exited.then((info) => this.#exited(running, info));
    } else {
      // No process to wait for: reachability alone decides.
      const result = await running.health();
      if (this.#isStopping) return;
      if (result.ok) this.#healthy("ready");
      else this.#endpointDown(result.error);
    }
    this.#scheduleHealthCheck();
  }

  #exited(running: RunningEngine, info: ExitInfo): void {
    if (this.#running !== running) return;
    this.#running = undefined;
    clearTimeout(this.#healthTimer);
    if (this.#isStopping) return;
    const { handle } = this;
    const proven = this.#uptime.end(handle.healthySince, Date.now());
    handle.detach();
    const reason =
      this.#restartReason ??
      this.#withLogHint(new TaleError("ENGINE_CRASHED", `Engine ${handle.id} ${describeExit(info)}.`, { details: { ...info } }));
    this.#restartReason = undefined;
    this.#crashed(reason, proven);
  }

  /** `proven`: the engine had stayed healthy for minUptimeMs, so this is no crash loop and it restarts at once. */
  #crashed(error: TaleError, proven = false): void {
    const { backoff, circuit: policy, report } = this.#options;
    const { handle } = this;
    const circuit = this.#circuit;
    const trial = circuit.state === "half-open";
    handle.lastError = error;
    handle.apply("exited");
    const hopeless = isHopeless(error);
    if (!proven && circuit.recordFailure(Date.now(), { hopeless }) === "open") {
      handle.lastError = openedError(handle.id, error, { trial, hopeless, crashes: circuit.crashCount, policy });
      report(handle.lastError.message);
      handle.apply("giveUp");
      this.#halfOpenTimer = setTimeout(() => this.#tryHalfOpen(), policy.cooldownMs);
      return;
    }
    const delay = proven ? 0 : backoffDelayMs(this.#backoffAttempt++, backoff);
    report(`${error.message} Restarting engine ${handle.id} ${proven ? "at once: it had been healthy, so this is no crash loop" : `in ${delay} ms`}.`);
    handle.apply("retry");
    this.#backoffTimer = setTimeout(() => {
      handle.restarts++;
      handle.apply("backoffElapsed");
      void this.#launch();
    }, delay);
  }

  /** The cool-down of an open circuit is over: one trial start. */
  #tryHalfOpen(): void {
    if (this.#isStopping) return;
    const { handle } = this;
    this.#circuit.halfOpen();
    this.#backoffAttempt = 0;
    handle.restarts++;
    this.#options.report(`Engine ${handle.id}: circuit half-open after its cool-down; trying one start.`);
    handle.apply("halfOpen");
    void this.#launch();
  }

  #healthy(event: "ready" | "healthOk"): void {
    const wasTrial = this.#circuit.state === "half-open";
    this.#circuit.recordHealthy();
    if (wasTrial) this.#options.report(`Engine ${this.handle.id} passed its trial start; circuit closed.`);
    this.handle.apply(event);
    this.#uptime.healthy(() => this.handle.healthySince);
  }

  #scheduleHealthCheck(): void {
    clearTimeout(this.#healthTimer);
    this.#healthTimer = setTimeout(() => void this.#checkHealth(false), this.#options.timing.healthIntervalMs);
  }

  async #checkHealth(urgent: boolean): Promise<void> {
    const running = this.#running;
    // While a restart kill is under way there is nothing left to check.
    if (!running || this.#checking || this.#restartReason || this.#isStopping) return;
    this.#checking = true;
    clearTimeout(this.#healthTimer);
    const checkStart = performance.now();
    const result = await running.health();
    this.handle.healthCheckMs = performance.now() - checkStart;
    this.#checking = false;
    if (running !== this.#running || this.#isStopping) return;
    const { handle } = this;
    if (result.ok) {
      this.#healthFailures = 0;
      if (handle.state === "failed") this.#endpointUp();
      else this.#healthy("healthOk");
    } else if (urgent || handle.state !== "healthy" || ++this.#healthFailures >= this.#options.timing.unhealthyAfter) {
      if (!running.exited) this.#endpointDown(result.error);
      else {
        handle.lastError = result.error;
        handle.apply("healthFail");
        return this.#restart(running, result.error);
      }
    }
    this.#scheduleHealthCheck();
  }

  /**
   * A remote endpoint has no process to restart, so when it stops answering
   * its circuit opens at once (the role's fallback serves, or its tasks fail
   * fast) and every later health check is a cheap trial: the first answer
   * closes the circuit again.
   */
  #endpointDown(cause: TaleError): void {
    const { handle } = this;
    const { healthIntervalMs } = this.#options.timing;
    this.#circuit.recordFailure(Date.now(), { hopeless: true, retryInMs: healthIntervalMs });
    handle.lastError = endpointDownError(handle, cause, healthIntervalMs);
    if (handle.state === "failed") return;
    this.#options.report(handle.lastError.message);
    if (handle.state !== "unhealthy") handle.apply("healthFail");
    handle.apply("giveUp");
  }

  #endpointUp(): void {
    const { handle } = this;
    this.#circuit.halfOpen();
    this.#circuit.recordHealthy();
    handle.apply("halfOpen");
    handle.apply("ready");
    this.#options.report(`Engine ${handle.id} answers again; circuit closed.`);
  }

  /** An engine process that stopped answering is killed; its exit then goes through the crash path. */
  #restart(running: RunningEngine, cause: TaleError): void {
    const { handle } = this;
    this.#restartReason = new TaleError("ENGINE_UNHEALTHY", `Engine ${handle.id} stopped answering health checks (${cause.message}).`, {
      hint: this.#options.engineLog ? hintFromLog(this.#options.engineLog) : undefined,
      cause,
    });
    this.#options.report(`${this.#restartReason.message} Killing it to restart it.`);
    // A frozen or deadlocked engine will not act on SIGTERM: a full grace period only delays its restart.
    void running.stop(Math.min(this.#options.timing.stopGraceMs, unresponsiveGraceMs));
  }

  async #stopOnce(): Promise<void> {
    const { handle } = this;
    this.#lifetime.abort();
    clearTimeout(this.#backoffTimer);
    clearTimeout(this.#halfOpenTimer);
    clearTimeout(this.#healthTimer);
    this.#uptime.stop();
    if (handle.state === "stopped") return;
    handle.apply("stop");
    await this.#attempt;
    const running = this.#running;
    this.#running = undefined;
    await Promise.all([running?.stop(this.#options.timing.stopGraceMs), this.#options.launcher.close?.()]);
    handle.detach();
    handle.apply("stopped");
  }

  #withLogHint(error: TaleError): TaleError {
    const { engineLog } = this.#options;
    if (error.hint || !engineLog) return error;
    return new TaleError(error.code, error.message, { hint: hintFromLog(engineLog), details: error.details, cause: error.cause });
  }
}

/** SIGTERM-to-SIGKILL time for an engine killed because it stopped answering. */
const unresponsiveGraceMs = 500;
