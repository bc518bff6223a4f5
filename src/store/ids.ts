/**
 * Task ids: `t_` + 10 characters of creation time + 6 random characters, in
 * lowercase Crockford base32 (no i, l, o, u), so ids sort by creation time,
 * are easy to read aloud and type, and need no coordination between processes.
 */
const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
const timeChars = 10;
const randomChars = 6;
const randomSpace = 32 ** randomChars;

function encode(value: number, length: number): string {
  let text = "";
  for (let rest = value; text.length < length; rest = Math.floor(rest / 32)) {
    text = alphabet[rest % 32] + text;
  }
  return text;
}

function randomPart(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! % randomSpace;
}

export interface IdGenerator {
  (): string;
}

/**
 * Ids made in the same millisecond (or after the clock stepped back) reuse the
 * last time and count the random part up, so ids from one process are
 * strictly increasing and FIFO order never depends on chance.
 */
export function createIdGenerator(options: { prefix: string; now: () => number }): IdGenerator {
  let lastTime = -1;
  let lastRandom = 0;
  return () => {
    const time = options.now();
    if (time > lastTime) {
      lastTime = time;
      lastRandom = randomPart();
    } else if (++lastRandom >= randomSpace) {
      lastTime += 1;
      lastRandom = 0;
    }
    return `${options.prefix}${encode(lastTime, timeChars)}${encode(lastRandom, randomChars)}`;
  };
}
