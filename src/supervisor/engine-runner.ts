import { TaleError, toTaleError } from "../errors";
import { backoffDelayMs, shouldResetBackoff, type BackoffPolicy } from "./backoff";
import { describeExit, type ExitInfo } from "./child";
import { isCrashLoop, recordCrash, type CrashLimit } from "./crash-window";
import type { EngineHandle } from "./engine-handle";
import { hintFromLog, type EngineLog } from "./engine-log";
import type { EngineLauncher, RunningEngine } from "./launcher";

export interface RunnerTiming {
  healthIntervalMs: number;
  startTimeoutMs: number;
  /** Consecutive failed health checks that make a healthy engine unhealthy. */
  unhealthyAfter: number;
  /** Time between SIGTERM and SIGKILL when stopping. */
  stopGraceMs: number;
}

export interface EngineRunnerOptions {
  handle: EngineHandle;
  launcher: EngineLauncher;
  /** Absent for remote engines, which have no output of their own. */
  engineLog?: EngineLog;
  timing: RunnerTiming;
  backoff: BackoffPolicy;
  crashLimit: CrashLimit;
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
  #healthTimer?: Timer;
  #checking = false;
  #healthFailures = 0;
  #crashTimes: number[] = [];
  #backoffAttempt = 0;
  /** Set when the runner kills an unresponsive engine itself, so its exit is reported for what it is. */
  #restartReason?: TaleError;

  constructor(options: EngineRunnerOptions) {
    this.#options = options;
    this.handle = options.handle;
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
      handle.apply("ready");
      void exited.then((info) => this.#exited(running, info));
    } else {
      // No process to wait for: reachability alone decides.
      const result = await running.health();
      if (this.#isStopping) return;
      if (result.ok) handle.apply("ready");
      else {
        handle.lastError = result.error;
        handle.apply("healthFail");
      }
    }
    this.#scheduleHealthCheck();
  }

  #exited(running: RunningEngine, info: ExitInfo): void {
    if (this.#running !== running) return;
    this.#running = undefined;
    clearTimeout(this.#healthTimer);
    if (this.#isStopping) return;
    const { handle } = this;
    if (shouldResetBackoff(handle.healthySince, Date.now(), this.#options.backoff)) this.#backoffAttempt = 0;
    handle.detach();
    const reason =
      this.#restartReason ??
      this.#withLogHint(new TaleError("ENGINE_CRASHED", `Engine ${handle.id} ${describeExit(info)}.`, { details: { ...info } }));
    this.#restartReason = undefined;
    this.#crashed(reason);
  }

  #crashed(error: TaleError): void {
    const { backoff, crashLimit, report } = this.#options;
    const { handle } = this;
    handle.lastError = error;
    handle.apply("exited");
    this.#crashTimes = recordCrash(this.#crashTimes, Date.now(), crashLimit);
    const hopeless = isHopeless(error);
    if (hopeless || isCrashLoop(this.#crashTimes, crashLimit)) {
      if (!hopeless) {
        const times = this.#crashTimes.length;
        handle.lastError = new TaleError(
          error.code,
          `Engine ${handle.id} failed ${times} time${times === 1 ? "" : "s"} within ${crashLimit.windowMs / 1000} s, so tale stopped restarting it. Last failure: ${error.message}`,
          { hint: error.hint, cause: error },
        );
      }
      report(handle.lastError!.message);
      handle.apply("giveUp");
      return;
    }
    const delay = backoffDelayMs(this.#backoffAttempt++, backoff);
    report(`${error.message} Restarting engine ${handle.id} in ${delay} ms.`);
    handle.apply("retry");
    this.#backoffTimer = setTimeout(() => {
      handle.restarts++;
      handle.apply("backoffElapsed");
      void this.#launch();
    }, delay);
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
    const result = await running.health();
    this.#checking = false;
    if (running !== this.#running || this.#isStopping) return;
    const { handle } = this;
    if (result.ok) {
      this.#healthFailures = 0;
      handle.apply("healthOk");
    } else if (urgent || handle.state === "unhealthy" || ++this.#healthFailures >= this.#options.timing.unhealthyAfter) {
      handle.lastError = result.error;
      handle.apply("healthFail");
      if (running.exited) return this.#restart(running, result.error);
    }
    this.#scheduleHealthCheck();
  }

  /** An engine process that stopped answering is killed; its exit then goes through the crash path. */
  #restart(running: RunningEngine, cause: TaleError): void {
    const { handle } = this;
    this.#restartReason = new TaleError("ENGINE_UNHEALTHY", `Engine ${handle.id} stopped answering health checks (${cause.message}).`, {
      hint: this.#options.engineLog ? hintFromLog(this.#options.engineLog) : undefined,
      cause,
    });
    this.#options.report(`${this.#restartReason.message} Killing it to restart it.`);
    void running.stop(this.#options.timing.stopGraceMs);
  }

  async #stopOnce(): Promise<void> {
    const { handle } = this;
    this.#lifetime.abort();
    clearTimeout(this.#backoffTimer);
    clearTimeout(this.#healthTimer);
    if (handle.state === "stopped") return;
    handle.apply("stop");
    await this.#attempt;
    const running = this.#running;
    this.#running = undefined;
    await running?.stop(this.#options.timing.stopGraceMs);
    handle.detach();
    handle.apply("stopped");
  }

  #withLogHint(error: TaleError): TaleError {
    const { engineLog } = this.#options;
    if (error.hint || !engineLog) return error;
    return new TaleError(error.code, error.message, { hint: hintFromLog(engineLog), details: error.details, cause: error.cause });
  }
}

/** A failure that restarting cannot fix (missing model file, port taken): give up at once. */
function isHopeless(error: TaleError): boolean {
  return !error.retryable || (error.cause instanceof TaleError && !error.cause.retryable);
}
