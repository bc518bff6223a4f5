/** What arrived after the last line handed out: the daemon may send two lines in one write. */
let pending = "";

/**
 * Reads one line from stdin and leaves the rest (the daemon's lifeline)
 * unread; undefined when stdin ends first. The daemon talks to its engines
 * this way: the key, then (for a warm spare) the word to start.
 */
export function readStdinLine(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const take = (): boolean => {
      const newline = pending.indexOf("\n");
      if (newline === -1) return false;
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      resolve(line);
      return true;
    };
    if (take()) return;
    const done = () => {
      process.stdin.off("data", onData);
      process.stdin.off("end", onEnd);
      process.stdin.pause();
    };
    const onData = (chunk: Buffer | string) => {
      pending += chunk.toString();
      if (take()) done();
    };
    const onEnd = () => {
      done();
      const rest = pending;
      pending = "";
      resolve(rest || undefined);
    };
    process.stdin.on("data", onData);
    process.stdin.on("end", onEnd);
    process.stdin.resume();
  });
}
