import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

type Step = () => void | Promise<void>;

/**
 * Undo steps run newest first, exactly once, whether the benchmark ends
 * normally, throws, is interrupted or overruns its time budget.
 */
const steps: Step[] = [];
let running: Promise<void> | undefined;

/** Registers an undo step; the returned function runs it early and unregisters it. */
export function onCleanup(step: Step): () => Promise<void> {
  steps.push(step);
  return async () => {
    const index = steps.indexOf(step);
    if (index === -1) return;
    steps.splice(index, 1);
    await step();
  };
}

export function runCleanup(): Promise<void> {
  running ??= (async () => {
    while (steps.length) {
      try {
        await steps.pop()!();
      } catch (error) {
        process.stderr.write(`cleanup step failed: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
  })();
  return running;
}

/** A temp dir removed at cleanup; `remove` removes it earlier. */
export function tempDir(prefix: string): { path: string; remove: () => Promise<void> } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: onCleanup(() => rmSync(path, { recursive: true, force: true })) };
}

let stopReason: string | undefined;

/** Why the run is being stopped early, if it is; errors after that are its echoes, not news. */
export function stopping(): string | undefined {
  return stopReason;
}

/** Ctrl-C, SIGTERM and the overall deadline all end the run through cleanup. */
export function guardRun(options: { deadlineMs: number }): void {
  const abort = (reason: string, exitCode: number) => {
    stopReason = reason;
    process.stderr.write(`\n${reason}; cleaning up…\n`);
    void runCleanup().finally(() => process.exit(exitCode));
  };
  process.once("SIGINT", () => abort("interrupted", 130));
  process.once("SIGTERM", () => abort("terminated", 143));
  setTimeout(() => abort(`benchmark exceeded ${options.deadlineMs / 1000}s`, 1), options.deadlineMs).unref();
}

/** Runs a benchmark's body: a failure is one line on stderr and exit code 1, and cleanup always runs. */
export async function runGuarded(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (!stopping()) process.stderr.write(`benchmark failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  } finally {
    await runCleanup();
  }
}
