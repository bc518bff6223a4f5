import type { CallContext } from "@extism/extism";

/**
 * Limits on what a plugin takes through Extism's kernel, which lives on the
 * host side of the sandbox and therefore outside the module's declared memory
 * maximum. Two problems in Extism JS SDK 1.0.3 meet here:
 *
 * - Every kernel allocation (alloc, and config_get's copy of the value) is a
 *   new host block that stays until `plugin.reset()`. A plugin allocating in
 *   a loop grows the host process without bound.
 * - Block addresses carry the block index in their top 16 bits, so index
 *   32,768 and above no longer fit an i64 and every later call fails with
 *   "cannot assign to this block". Only `reset()` empties the table.
 *
 * So the host counts blocks and bytes, resets the table before a call when
 * half of either is used, and fails a single call that takes more than half.
 * The table then never overflows, and held kernel memory stays under twice
 * the per-call byte budget, for any number of calls.
 */
export const blockTableSize = 32_767;
export const blocksPerCall = 16_000;
/** What a block costs beyond its bytes: the Block, its DataView and ArrayBuffer objects. */
const blockOverheadBytes = 256;

export class KernelLimitError extends Error {}

export interface KernelBudgetOptions {
  bytesPerCall: number;
  config: Record<string, string>;
}

export interface KernelBudget {
  /** Kernel functions to pass as createPlugin's `functions`; they replace the SDK's own of the same name. */
  readonly functions: Record<string, Record<string, (context: CallContext, ...args: any[]) => any>>;
  /** Whether the block table should be emptied before the next call. */
  needsReset(): boolean;
  /** Call after `plugin.reset()` or after replacing the instance. */
  cleared(): void;
  /** Call before each plugin call. */
  startCall(): void;
}

export function createKernelBudget(options: KernelBudgetOptions): KernelBudget {
  let blocksHeld = 0;
  let bytesHeld = 0;
  let callBlocks = 0;
  let callBytes = 0;

  const charge = (bytes: number) => {
    callBlocks += 1;
    callBytes += bytes + blockOverheadBytes;
    blocksHeld += 1;
    bytesHeld += bytes + blockOverheadBytes;
    if (callBlocks > blocksPerCall) throw new KernelLimitError(`made more than ${blocksPerCall.toLocaleString("en-US")} kernel allocations in one call`);
    if (callBytes > options.bytesPerCall) throw new KernelLimitError(`allocated more than ${formatMib(options.bytesPerCall)} through Extism's kernel in one call`);
  };

  return {
    functions: {
      "extism:host/env": {
        alloc(context: CallContext, size: bigint) {
          charge(Number(size));
          return context.alloc(size);
        },
        // The SDK's own config_get stores a fresh copy of the value on every call; charge it like alloc.
        config_get(context: CallContext, address: bigint) {
          const key = context.read(address)?.string();
          if (key === undefined || !Object.hasOwn(options.config, key)) return 0n;
          const value = options.config[key]!;
          charge(Buffer.byteLength(value));
          return context.store(value);
        },
      },
    },
    needsReset: () => blocksHeld >= blocksPerCall || bytesHeld >= options.bytesPerCall,
    cleared() {
      blocksHeld = 0;
      bytesHeld = 0;
    },
    startCall() {
      callBlocks = 0;
      callBytes = 0;
      // The SDK stores each call's input in a block of its own.
      blocksHeld += 1;
    },
  };
}

function formatMib(bytes: number): string {
  const mib = bytes / 1_048_576;
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}
