import { readFileSync } from "node:fs";
import { TaleError } from "../errors";

/**
 * The deadline of the call a plugin host is running, counted in CPU time the
 * host spent rather than wall time. On a loaded 2-core machine a healthy
 * plugin can wait well past 50 ms for a core (or its answer can wait unread
 * in this process's IPC channel) without doing any work; killing it then
 * punishes the plugin for the machine. So the wall deadline only triggers a
 * look at /proc: the host is killed when the call has used its deadline in
 * CPU, or when it has gone `wallCapDeadlines` deadlines without answering at
 * all (a host starved or stopped for good must still end). Callers that
 * cannot wait that long (routing) give up on their own after one deadline.
 */
export interface TimedCall {
  fn: string;
  /** When the child began it, as far as this side can tell. */
  startedAt: number;
  /** The host's CPU time (ms) just before it began the call; null when /proc cannot tell. */
  cpuAtStart: number | null;
}

export interface CallDeadlineOptions {
  /** The call the host runs now and the host's pid; null when it runs none. */
  current(): { call: TimedCall; pid: number } | null;
  /** Names the plugin and gives its deadline, both of which the loader may change after start. */
  describe(): { label: string; deadlineMs: number };
  /** Stop the host for `call`. */
  overdue(call: TimedCall, error: TaleError): void;
}

/** A call that has not answered after this many deadlines of wall time is stopped whatever CPU it used. */
export const wallCapDeadlines = 10;
/** /proc counts CPU in USER_HZ ticks, 100 per second on every Linux tale runs on; finer rechecks see nothing new. */
const tickMs = 10;

export class CallDeadline {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastSample: { at: number; pid: number; cpuMs: number | null } | null = null;

  constructor(private readonly options: CallDeadlineOptions) {}

  /**
   * Marks `call` as the one the host runs from now. The CPU baseline is read
   * at most once a tick: at pipelined call rates a fresh read per call would
   * cost more than the call, and a baseline one tick old overstates the
   * call's CPU by at most that tick.
   */
  began(call: TimedCall, pid: number): void {
    const now = performance.now();
    if (!this.lastSample || this.lastSample.pid !== pid || now - this.lastSample.at >= tickMs) this.lastSample = { at: now, pid, cpuMs: cpuMsOf(pid) };
    call.startedAt = now;
    call.cpuAtStart = this.lastSample.cpuMs;
  }

  /** Arms the timer for the current call unless it is armed. */
  watch(): void {
    this.timer ??= setTimeout(() => this.check(), this.options.describe().deadlineMs);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Answers arrive in order, so one timer re-armed to the current call's next
   * due time suffices. An overdue call is confirmed after one more pass of
   * the event loop: if this process was busy, its answer may be waiting
   * unread in the IPC channel.
   */
  private check(confirming = false): void {
    this.timer = null;
    const current = this.options.current();
    if (!current) return;
    const { call, pid } = current;
    const { label, deadlineMs } = this.options.describe();
    const wallMs = performance.now() - call.startedAt;
    const wallCapMs = deadlineMs * wallCapDeadlines;
    if (wallMs < deadlineMs) return this.recheckIn(deadlineMs - wallMs);
    const now = cpuMsOf(pid);
    // Without /proc the wall clock is all there is.
    const cpuMs = now === null || call.cpuAtStart === null ? wallMs : now - call.cpuAtStart;
    if (cpuMs < deadlineMs && wallMs < wallCapMs) return this.recheckIn(Math.min(Math.max(deadlineMs - cpuMs, tickMs), wallCapMs - wallMs));
    if (!confirming) {
      this.timer = setTimeout(() => this.check(true), 0);
      return;
    }
    const error =
      cpuMs >= deadlineMs
        ? new TaleError("PLUGIN_FAILED", `${label} timed out after ${deadlineMs} ms in ${call.fn}; its host process was killed and restarts.`, {
            hint: "Look for a loop that never ends or too much work per call; a plugin may ask for more time with limits.timeoutMs in its manifest, up to the configured cap.",
            details: { reason: "timeout", deadlineMs, cpuMs: Math.round(cpuMs), wallMs: Math.round(wallMs) },
          })
        : new TaleError("PLUGIN_FAILED", `${label} did not answer within ${Math.round(wallMs)} ms in ${call.fn} and used only ${Math.round(cpuMs)} ms of CPU; its host process was starved or stopped, so it was killed and restarts.`, {
            hint: `The machine is overloaded or the host process was paused; a call may take ${wallCapDeadlines} times its deadline of wall time before it is stopped.`,
            details: { reason: "timeout", deadlineMs, cpuMs: Math.round(cpuMs), wallMs: Math.round(wallMs) },
          });
    this.options.overdue(call, error);
  }

  private recheckIn(ms: number): void {
    this.timer = setTimeout(() => this.check(), Math.ceil(ms));
  }
}

/** utime + stime of a process from /proc/<pid>/stat, in ms; null when it cannot be read. */
export function cpuMsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // Fields after the parenthesised command name start at state (field 3); utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * tickMs;
  } catch {
    return null;
  }
}
