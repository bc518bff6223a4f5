import { TaleError } from "../errors";
import { CallDeadline } from "./call-deadline";
import { startHostChild, type HostChild } from "./host-child";
import type { HostLoadedMessage, HostLogMessage, HostResultMessage } from "./host-protocol";
import { processErrors } from "./process-errors";
import { readRssBytes } from "./process-memory";

/**
 * The daemon's handle on one plugin's host process. Calls queue here and go
 * to the child a window at a time; the child runs them in order, so the
 * oldest unanswered call is the one running. That call alone is held to the
 * deadline (call-deadline.ts) and the memory cap: past either, the child is
 * SIGKILLed, that call fails, the calls queued behind it are resent, and a
 * new child starts in the background. Nothing the plugin does can block this
 * process.
 */
export interface PluginProcessOptions {
  /** Names the plugin in messages until `label` is set. */
  label: string;
  bytes: Uint8Array;
  config: Record<string, string>;
  /** The `tale plugin-host` command line. */
  command: string[];
  deadlineMs: number;
  maxRssBytes: number;
  kernelBytesPerCall: number;
  startTimeoutMs: number;
  /** How often resident memory is read while a call runs. */
  memoryPollMs?: number;
  onEvent?(event: PluginProcessEvent): void;
}

/** What happened to the host process, worded for the daemon's log. */
export interface PluginProcessEvent {
  kind: "killed" | "crashed" | "restarted" | "restart-failed" | "plugin-log";
  level: "debug" | "info" | "warn";
  message: string;
}

export interface ProcessCallOptions {
  /**
   * The caller stops waiting. A call still queued here is dropped (CANCELLED);
   * one already sent to the child runs on, so its outcome, a timeout included,
   * still tells what the plugin did.
   */
  signal?: AbortSignal;
  /** When the host dies under it, fail at once (details.reason "restarting") instead of waiting for the next host. */
  failFast?: boolean;
}

interface PendingCall {
  id: number;
  fn: string;
  input: string;
  settled: boolean;
  abandoned: boolean;
  failFast: boolean;
  /** When the child began it, as far as this side can tell: sent to an idle child, or the previous answer arrived. */
  startedAt: number;
  cpuAtStart: number | null;
  resolve(output: string): void;
  reject(error: TaleError): void;
}

/** Calls sent ahead to the child; enough to hide the IPC round trip, few enough to resend cheaply after a kill. */
const sendWindow = 64;
const defaultMemoryPollMs = 20;

export class PluginProcess {
  private child: HostChild | null = null;
  private starting: Promise<void> | null = null;
  private readonly waiting: PendingCall[] = [];
  private running: PendingCall[] = [];
  private nextId = 1;
  private readonly deadline = new CallDeadline({
    current: () => {
      const call = this.running[0];
      return call && this.child ? { call, pid: this.child.pid } : null;
    },
    describe: () => ({ label: this.label, deadlineMs: this.deadlineMs }),
    overdue: (call, error) => this.kill(call as PendingCall, error),
  });
  private memoryTimer: ReturnType<typeof setInterval> | null = null;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private restartCount = 0;
  private lastRestart: number | null = null;
  /** Names the plugin in messages, e.g. `Plugin "router"`; the loader sets it once the manifest is read. */
  label: string;
  /** The per-call deadline; the loader sets it from the manifest, within the configured cap. */
  deadlineMs: number;

  private constructor(
    private readonly options: PluginProcessOptions,
    readonly loaded: HostLoadedMessage,
    child: HostChild,
  ) {
    this.label = options.label;
    this.deadlineMs = options.deadlineMs;
    this.adopt(child);
  }

  /** Spawns the host and loads the plugin; fails with PLUGIN_FAILED if it does not load. */
  static async start(options: PluginProcessOptions): Promise<PluginProcess> {
    let created: PluginProcess | undefined;
    const child = await startHostChild(PluginProcess.childOptions(options, options.label, () => created));
    created = new PluginProcess(options, child.loaded, child);
    return created;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get restarts(): number {
    return this.restartCount;
  }

  /** How long the last restart took, from the old child's death to a loaded plugin. */
  get lastRestartMs(): number | null {
    return this.lastRestart;
  }

  /** Whether a host is up to take calls now; when none is and none is starting, one is started. */
  wake(): boolean {
    if (!this.child) this.ensureChild();
    return this.child !== null;
  }

  /** Runs export `fn` with `input` (JSON text) and resolves with the plugin's output text. */
  call(fn: string, input: string, options: ProcessCallOptions = {}): Promise<string> {
    if (this.closed) return Promise.reject(processErrors.closed(this.label));
    return new Promise<string>((resolve, reject) => {
      const call: PendingCall = { id: this.nextId++, fn, input, settled: false, abandoned: false, failFast: options.failFast ?? false, startedAt: 0, cpuAtStart: null, resolve, reject };
      const settle = (outcome: () => void) => {
        if (call.settled) return;
        call.settled = true;
        options.signal?.removeEventListener("abort", onAbort);
        outcome();
      };
      call.resolve = (output) => settle(() => resolve(output));
      call.reject = (error) => settle(() => reject(error));
      const onAbort = () => {
        call.abandoned = true;
        if (!this.running.includes(call)) call.reject(processErrors.cancelled(this.label, fn, options.signal?.reason));
      };
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(call);
      if (this.child) this.pump();
      else this.ensureChild();
    });
  }

  /** Lets the calls already queued finish (each still held to its deadline), then closes: for a reload. */
  async retire(): Promise<void> {
    if (!this.idle()) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTimers();
    for (const call of [...this.running, ...this.waiting]) call.reject(processErrors.closed(this.label));
    this.running = [];
    this.waiting.length = 0;
    this.notifyIfIdle();
    await this.starting;
    const child = this.child;
    this.child = null;
    if (child) {
      child.kill();
      await child.exited;
    }
  }

  private static childOptions(options: PluginProcessOptions, label: string, owner: () => PluginProcess | undefined) {
    return {
      command: options.command,
      source: label,
      startTimeoutMs: options.startTimeoutMs,
      load: { bytes: options.bytes, config: options.config, kernelBytesPerCall: options.kernelBytesPerCall },
      onResult: (message: HostResultMessage) => owner()?.onResult(message),
      // A plugin's own info and debug lines would flood the log at call rate; its warnings and errors are kept.
      onLog: (message: HostLogMessage) =>
        options.onEvent?.({ kind: "plugin-log", level: message.level === "warn" || message.level === "error" ? "warn" : "debug", message: `${owner()?.label ?? label} says: ${message.message}` }),
    };
  }

  private adopt(child: HostChild): void {
    this.child = child;
    // A child this side killed was already let go; only an exit nobody asked for is a crash.
    void child.exited.then((description) => {
      if (this.child === child && !this.closed) this.onChildExit(description);
    });
  }

  private ensureChild(): void {
    if (this.child || this.starting || this.closed) return;
    const startedAt = performance.now();
    this.starting = (async () => {
      try {
        const child = await startHostChild(PluginProcess.childOptions(this.options, this.label, () => this));
        if (this.closed) {
          child.kill();
          await child.exited;
          return;
        }
        this.adopt(child);
        this.restartCount += 1;
        this.lastRestart = performance.now() - startedAt;
        this.options.onEvent?.({ kind: "restarted", level: "debug", message: `${this.label} has a new host process (pid ${child.pid}), started in ${Math.round(this.lastRestart)} ms.` });
        this.pump();
      } catch (error) {
        const failure = error instanceof TaleError ? error : new TaleError("PLUGIN_FAILED", String(error));
        this.options.onEvent?.({ kind: "restart-failed", level: "warn", message: failure.message });
        // Nobody would run them; the next call tries to start the host again.
        for (const call of this.waiting.splice(0)) call.reject(failure);
        this.notifyIfIdle();
      } finally {
        this.starting = null;
      }
    })();
  }

  private pump(): void {
    const child = this.child;
    if (!child) return;
    while (this.running.length < sendWindow && this.waiting.length > 0) {
      const call = this.waiting.shift()!;
      if (call.settled) continue;
      if (this.running.length === 0) this.deadline.began(call, child.pid);
      this.running.push(call);
      try {
        child.send({ type: "call", id: call.id, fn: call.fn, input: call.input });
      } catch {
        // The child is gone; its exit handler requeues what it held, this call included.
        return;
      }
    }
    if (this.running.length > 0) this.watch();
  }

  private onResult(message: HostResultMessage): void {
    const index = this.running.findIndex((call) => call.id === message.id);
    if (index === -1) return;
    const [call] = this.running.splice(index, 1);
    const next = this.running[0];
    if (next && index === 0 && this.child) this.deadline.began(next, this.child.pid);
    if (message.ok) call!.resolve(message.output);
    else call!.reject(processErrors.failed(this.label, call!.fn, message.kind, message.error));
    this.pump();
    this.notifyIfIdle();
  }

  private idle(): boolean {
    return this.running.length === 0 && this.waiting.every((call) => call.settled);
  }

  private notifyIfIdle(): void {
    if (this.idleWaiters.length > 0 && this.idle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private onChildExit(description: string): void {
    this.child = null;
    const current = this.running[0];
    const message = current
      ? `The host process of ${this.label} ${description} while running ${current.fn}.`
      : `The host process of ${this.label} ${description}.`;
    this.options.onEvent?.({ kind: "crashed", level: "warn", message });
    this.fail(current, new TaleError("PLUGIN_FAILED", message, { hint: "tale restarts it; if it keeps dying, the plugin or the machine is out of memory." }));
  }

  /** Stops the child for the call it is running; calls queued behind that one go to the next child. */
  private kill(call: PendingCall, error: TaleError): void {
    const child = this.child;
    this.child = null;
    child?.kill();
    this.options.onEvent?.({ kind: "killed", level: "info", message: error.message });
    this.fail(call, error);
  }

  private fail(current: PendingCall | undefined, error: TaleError): void {
    this.stopTimers();
    current?.reject(error);
    const requeue: PendingCall[] = [];
    for (const call of this.running) {
      if (call === current) continue;
      // Nobody waits for an abandoned call, and a fail-fast caller would rather have its fallback than wait for the next host.
      if (call.abandoned) call.reject(processErrors.cancelled(this.label, call.fn));
      else if (call.failFast) call.reject(processErrors.restarting(this.label));
      else requeue.push(call);
    }
    this.running = [];
    this.waiting.unshift(...requeue);
    this.ensureChild();
  }

  private watch(): void {
    this.deadline.watch();
    this.memoryTimer ??= setInterval(() => this.checkMemory(), this.options.memoryPollMs ?? defaultMemoryPollMs);
  }

  private checkMemory(): void {
    const call = this.running[0];
    const child = this.child;
    if (!call || !child) {
      if (this.memoryTimer) clearInterval(this.memoryTimer);
      this.memoryTimer = null;
      return;
    }
    const rss = readRssBytes(child.pid);
    if (rss === null || rss <= this.options.maxRssBytes) return;
    this.kill(call, processErrors.memory(this.label, call.fn, rss, this.options.maxRssBytes));
  }

  private stopTimers(): void {
    this.deadline.stop();
    if (this.memoryTimer) clearInterval(this.memoryTimer);
    this.memoryTimer = null;
  }
}
