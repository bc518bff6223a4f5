/**
 * How to start another copy of this program: the compiled binary runs itself,
 * while a development run needs bun plus the entry script.
 */
export function isCompiled(): boolean {
  return Bun.main.startsWith("/$bunfs/") || Bun.main.startsWith("B:/~BUN/");
}

export function selfCommand(args: string[]): string[] {
  return isCompiled() ? [process.execPath, ...args] : [process.execPath, Bun.main, ...args];
}
