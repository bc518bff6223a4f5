import { TaleError, toTaleError } from "../errors";
import { exportNameOf, type HookIO, type HookName } from "./hook-schema";
import { parseHookOutput } from "./hook-output";
import type { PluginEntry } from "./loaded-plugin";
import { processErrors } from "./process-errors";

/**
 * One hook call to one plugin, through its breaker. The caller's wait and the
 * plugin's outcome are kept apart: a caller may stop waiting (its signal, the
 * breaker opening, the host dying under a fail-fast call), while a call the
 * host already runs still finishes or times out, and that outcome is what the
 * breaker and the statistics count.
 */
export interface EntryCallOptions {
  /** The caller stops waiting; a TaleError reason is what the call rejects with. */
  signal?: AbortSignal;
  /** Do not wait for a host that is restarting: fail at once (details.reason "restarting"), for callers with a fallback. */
  failFast?: boolean;
}

export interface EntryCallReporting {
  debug(message: string): void;
  timedOut(plugin: string, message: string): void;
}

export async function callEntry<H extends HookName>(
  entry: PluginEntry,
  hook: H,
  input: HookIO[H]["input"],
  options: EntryCallOptions,
  report: EntryCallReporting,
): Promise<HookIO[H]["output"]> {
  const { process } = entry.running;
  if (options.failFast && entry.breaker === "closed" && !process.wake()) {
    entry.calls.skipped();
    throw processErrors.restarting(process.label);
  }
  const controller = new AbortController();
  const forward = () => controller.abort(asTaleError(options.signal?.reason, entry, hook));
  if (options.signal?.aborted) forward();
  options.signal?.addEventListener("abort", forward, { once: true });
  const abandoned = new Promise<never>((_, reject) => controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true }));
  abandoned.catch(() => {});

  const started = performance.now();
  let reached = false;
  const outcome = entry.breakerPolicy.execute(async () => {
    reached = true;
    // Off the list before the breaker hears the outcome: a failure that opens the breaker is this call's own answer, not "switched off".
    entry.pending.add(controller);
    try {
      const text = await entry.running.process.call(exportNameOf(hook), JSON.stringify(input), { signal: controller.signal, failFast: options.failFast });
      return parseHookOutput(hook, text, entry.running.process.label);
    } finally {
      entry.pending.delete(controller);
    }
  });
  void outcome.then(
    () => entry.calls.succeeded(performance.now() - started),
    (error: unknown) => {
      const failure = toTaleError(error);
      const reason = failure.details?.reason;
      if (!reached || reason === "restarting") entry.calls.skipped();
      else if (failure.code !== "CANCELLED") {
        entry.calls.failed(performance.now() - started, failure);
        report.debug(failure.message);
        if (reason === "timeout") report.timedOut(entry.name, failure.message);
      }
    },
  );
  try {
    return await Promise.race([outcome, abandoned]);
  } catch (error) {
    // A queued call dropped because its caller gave up says CANCELLED; the caller wants to hear why it gave up.
    throw controller.signal.aborted ? controller.signal.reason : error;
  } finally {
    options.signal?.removeEventListener("abort", forward);
  }
}

function asTaleError(reason: unknown, entry: PluginEntry, hook: HookName): TaleError {
  return reason instanceof TaleError ? reason : new TaleError("CANCELLED", `The call to ${hook} of plugin "${entry.name}" was cancelled.`, { cause: reason });
}

