import { TaleError } from "../errors";
import type { Task } from "../store";
import { formatDuration } from "../util/duration";
import type { RoleAvailability } from "./engine-pool";

/**
 * Why a task ran past its deadline, told by where it was when time ran out:
 * generating (ask for fewer tokens or more time), or still in the queue,
 * where fewer tokens would not have helped.
 */
export function timeoutError(task: Task | undefined, availability: RoleAvailability | undefined): TaleError {
  const deadline = formatDuration(task?.timeoutMs ?? 0);
  const role = task?.role ?? "its";
  if (task?.status !== "queued") {
    return new TaleError("TIMEOUT", `The task ran past its ${deadline} deadline.`, {
      hint: "Give it more time with --timeout, or lower max tokens so it finishes sooner.",
    });
  }
  if (availability && availability.state !== "ready") {
    const why = availability.state === "failed" ? availability.error.message : (availability.cause?.message ?? `the ${role} engines are still starting`);
    return new TaleError("TIMEOUT", `The task waited its whole ${deadline} deadline in the queue: no ${role} engine could take it (${why}).`, {
      hint: `Run \`tale status\` to see the ${role} engines; start or fix the one named above, or set supervisor.fallback so another role serves meanwhile.`,
    });
  }
  return new TaleError("TIMEOUT", `The task waited its whole ${deadline} deadline in the queue behind other work.`, {
    hint: "Give it more time with --timeout, raise its --priority, or add engine slots (builtin.slots, more engines) or scheduler.maxConcurrent.",
  });
}
