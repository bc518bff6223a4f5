/**
 * Seeded, reproducible random weights. Everything here uses 32-bit integer
 * math and correctly rounded float operations only, so the same seed gives the
 * same bits on every machine and JavaScript engine.
 */

function splitmix32(state: number): { state: number; value: number } {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return { state: next, value: (z ^ (z >>> 16)) >>> 0 };
}

/** xoshiro128**: small state, fast, good enough statistics for weights. */
export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    const words: number[] = [];
    let state = seed | 0;
    for (let i = 0; i < 4; i++) {
      const step = splitmix32(state);
      state = step.state;
      words.push(step.value);
    }
    [this.a, this.b, this.c, this.d] = words as [number, number, number, number];
  }

  /** Next uniformly distributed unsigned 32-bit integer. */
  next(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Derives an independent stream per tensor, so tensors do not depend on fill order. */
export function seedFor(seed: number, label: string): number {
  let hash = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < label.length; i++) hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193);
  return splitmix32((hash ^ seed) | 0).value;
}

/**
 * The sum of the four bytes of one random u32 is Irwin-Hall distributed:
 * bell-shaped, bounded to ±3.4 sigma, and needs no log/sqrt per sample. Mapping
 * the 1021 possible sums through a table makes a weight cost one PRNG call.
 */
const BYTE_SUM_MEAN = 4 * 127.5;
const BYTE_SUM_STD = Math.sqrt((4 * (256 * 256 - 1)) / 12);

function normalTable<T extends Float32Array | Float16Array>(make: (length: number) => T, std: number): T {
  const table = make(4 * 255 + 1);
  for (let sum = 0; sum < table.length; sum++) table[sum] = ((sum - BYTE_SUM_MEAN) / BYTE_SUM_STD) * std;
  return table;
}

function fillFromTable(target: Uint16Array | Int32Array, table: Uint16Array | Int32Array, rng: Xoshiro128): void {
  for (let i = 0; i < target.length; i++) {
    const r = rng.next();
    target[i] = table[(r & 255) + ((r >>> 8) & 255) + ((r >>> 16) & 255) + (r >>> 24)]!;
  }
}

/** Fills `target` with approximately normal values of mean 0 and standard deviation `std`. */
export function fillNormal(target: Float32Array | Float16Array, options: { seed: number; std: number }): void {
  const rng = new Xoshiro128(options.seed);
  // Copying raw bits avoids a float conversion per element; Int32Array rather
  // than Uint32Array keeps the bits in the engine's fast small-integer path.
  if (target instanceof Float32Array) {
    const table = normalTable((n) => new Float32Array(n), options.std);
    fillFromTable(new Int32Array(target.buffer, target.byteOffset, target.length), new Int32Array(table.buffer), rng);
  } else {
    const table = normalTable((n) => new Float16Array(n), options.std);
    fillFromTable(new Uint16Array(target.buffer, target.byteOffset, target.length), new Uint16Array(table.buffer), rng);
  }
}
