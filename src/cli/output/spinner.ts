const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export interface Spinner {
  update(text: string): void;
  stop(): void;
}

/** A spinner on stderr, only when a person is watching; scripts get clean output. */
export function startSpinner(text: string, stream: NodeJS.WriteStream = process.stderr): Spinner {
  if (!stream.isTTY || process.env.CI) return { update() {}, stop() {} };
  let label = text;
  let frame = 0;
  const draw = () => stream.write(`\r\x1b[2K${frames[frame++ % frames.length]} ${label}`);
  draw();
  const timer = setInterval(draw, 80);
  return {
    update(next) {
      label = next;
    },
    stop() {
      clearInterval(timer);
      stream.write("\r\x1b[2K");
    },
  };
}
