import { dlopen, FFIType } from "bun:ffi";

const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9;

/**
 * Asks Linux to SIGKILL this process when its parent dies. A plugin host
 * stuck in a runaway wasm loop never runs its event loop again, so it cannot
 * notice a lost IPC channel or stdin EOF itself; without this, a daemon that
 * is killed would leave the child burning a core forever. Returns whether
 * the kernel accepted it (other platforms rely on the lifeline alone).
 */
export function dieWithParent(): boolean {
  if (process.platform !== "linux") return false;
  for (const library of ["libc.so.6", "libc.so"]) {
    try {
      const libc = dlopen(library, {
        prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
      });
      const accepted = libc.symbols.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) === 0;
      libc.close();
      return accepted;
    } catch {
      // Not this libc (musl names it libc.so); try the next name.
    }
  }
  return false;
}
