/**
 * Finds values in a JSON document in place, over its UTF-8 bytes, without
 * building a tree: the router needs a handful of numbers and booleans, so it
 * skips strings instead of decoding them. Every byte of a multi-byte UTF-8
 * character is 0x80 or above and can never be mistaken for a quote, a
 * backslash or a bracket, which is what makes skipping safe for any text.
 *
 * Positions are byte indexes; -1 means "not there" and flows through every
 * method, so lookups chain without checks: field(field(root, "a"), "b").
 */
const QUOTE: i32 = 0x22;
const BACKSLASH: i32 = 0x5c;
const COMMA: i32 = 0x2c;
const COLON: i32 = 0x3a;
const OPEN_OBJECT: i32 = 0x7b;
const CLOSE_OBJECT: i32 = 0x7d;
const OPEN_ARRAY: i32 = 0x5b;
const CLOSE_ARRAY: i32 = 0x5d;

export class JsonReader {
  constructor(private readonly bytes: Uint8Array) {}

  /** Position of the top-level value. */
  root(): i32 {
    return this.skipSpace(0);
  }

  /** Position of the value under `key` in the object at `at`, or -1. */
  field(at: i32, key: string): i32 {
    if (this.byteAt(at) != OPEN_OBJECT) return -1;
    let i = this.skipSpace(at + 1);
    if (this.byteAt(i) == CLOSE_OBJECT) return -1;
    while (this.byteAt(i) == QUOTE) {
      const keyEnd = this.skipString(i);
      if (keyEnd < 0) return -1;
      const matches = this.keyEquals(i + 1, keyEnd - 1, key);
      i = this.skipSpace(keyEnd);
      if (this.byteAt(i) != COLON) return -1;
      const value = this.skipSpace(i + 1);
      if (matches) return value;
      i = this.skipSpace(this.skipValue(value));
      if (this.byteAt(i) != COMMA) return -1;
      i = this.skipSpace(i + 1);
    }
    return -1;
  }

  /** The number at `at`, or NaN when there is none. */
  number(at: i32): f64 {
    const end = this.skipNumber(at);
    if (end <= at) return NaN;
    return parseFloat(String.UTF8.decodeUnsafe(this.bytes.dataStart + <usize>at, <usize>(end - at)));
  }

  isTrue(at: i32): bool {
    return this.literalAt(at, "true");
  }

  isNull(at: i32): bool {
    return this.literalAt(at, "null");
  }

  isObject(at: i32): bool {
    return this.byteAt(at) == OPEN_OBJECT && this.skipValue(at) > at;
  }

  /** Position just past the value at `at`, or -1 when it is malformed. */
  skipValue(at: i32): i32 {
    const first = this.byteAt(at);
    if (first == QUOTE) return this.skipString(at);
    if (first == OPEN_OBJECT) return this.skipContainer(at, CLOSE_OBJECT, true);
    if (first == OPEN_ARRAY) return this.skipContainer(at, CLOSE_ARRAY, false);
    if (this.literalAt(at, "true") || this.literalAt(at, "null")) return at + 4;
    if (this.literalAt(at, "false")) return at + 5;
    const end = this.skipNumber(at);
    return end > at ? end : -1;
  }

  private skipContainer(at: i32, close: i32, keyed: bool): i32 {
    let i = this.skipSpace(at + 1);
    if (this.byteAt(i) == close) return i + 1;
    while (i >= 0) {
      if (keyed) {
        if (this.byteAt(i) != QUOTE) return -1;
        i = this.skipSpace(this.skipString(i));
        if (this.byteAt(i) != COLON) return -1;
        i = this.skipSpace(i + 1);
      }
      i = this.skipSpace(this.skipValue(i));
      const next = this.byteAt(i);
      if (next == close) return i + 1;
      if (next != COMMA) return -1;
      i = this.skipSpace(i + 1);
    }
    return -1;
  }

  private skipString(at: i32): i32 {
    let i = at + 1;
    const length = this.bytes.length;
    while (i < length) {
      const byte = <i32>unchecked(this.bytes[i]);
      if (byte == QUOTE) return i + 1;
      i += byte == BACKSLASH ? 2 : 1;
    }
    return -1;
  }

  private skipNumber(at: i32): i32 {
    if (at < 0) return -1;
    let i = at;
    while (i < this.bytes.length && isNumberByte(<i32>unchecked(this.bytes[i]))) i++;
    return i;
  }

  private skipSpace(at: i32): i32 {
    if (at < 0) return -1;
    let i = at;
    while (i < this.bytes.length && isSpace(<i32>unchecked(this.bytes[i]))) i++;
    return i;
  }

  /** Compares raw key bytes with an ASCII key; a key written with escapes never matches, which JSON.stringify never produces. */
  private keyEquals(start: i32, end: i32, key: string): bool {
    if (end - start != key.length) return false;
    for (let i = 0; i < key.length; i++) {
      if (<i32>unchecked(this.bytes[start + i]) != key.charCodeAt(i)) return false;
    }
    return true;
  }

  private literalAt(at: i32, literal: string): bool {
    if (at < 0 || at + literal.length > this.bytes.length) return false;
    for (let i = 0; i < literal.length; i++) {
      if (<i32>unchecked(this.bytes[at + i]) != literal.charCodeAt(i)) return false;
    }
    return true;
  }

  private byteAt(at: i32): i32 {
    return at >= 0 && at < this.bytes.length ? <i32>unchecked(this.bytes[at]) : -1;
  }
}

function isSpace(byte: i32): bool {
  return byte == 0x20 || byte == 0x0a || byte == 0x0d || byte == 0x09;
}

function isNumberByte(byte: i32): bool {
  return (byte >= 0x30 && byte <= 0x39) || byte == 0x2d || byte == 0x2b || byte == 0x2e || byte == 0x65 || byte == 0x45;
}
