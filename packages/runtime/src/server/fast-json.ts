/**
 * A JSON reader for inference requests that writes every `"data"` array of numbers (flat or nested) straight
 * into a typed array instead of building a JS array of 784 boxed numbers per image, and reads the bytes
 * without decoding them to a string first. Anything it does not handle exactly (a string or `null` inside
 * `data`, a number of more than 15 significant digits, invalid JSON) makes it give
 * up, and the caller parses with `JSON.parse`, so error messages are those of `JSON.parse`.
 */

/** The numbers of one `"data"` array, flattened in row-major order, as `JSON.parse` would read them. */
export class NumberList {
  constructor(
    readonly values: Float64Array,
    readonly length: number,
    /** How deeply its arrays nest: 1 for a flat list, 2 for a list of lists, and so on. */
    readonly depth = 1,
  ) {}
}

/**
 * Objects and arrays outside `"data"` nest at most this deep on the fast path; deeper bodies go to
 * `JSON.parse` (which does not recurse) instead of growing this reader's call stack.
 */
export const MAX_NESTING = 64;

class GiveUp extends Error {}
const giveUp = new GiveUp('fast path not applicable');

const POWERS = Array.from({ length: 23 }, (_, exponent) => 10 ** exponent);

/**
 * Parses `bytes[0, end)` as JSON, with `"data"` arrays as {@link NumberList}; `undefined` when the fast path
 * does not apply (then use `JSON.parse`).
 *
 * @example
 * const parsed = parseRequestJson(Buffer.from('{"inputs":[{"data":[1,2.5]}]}'), 30);
 * // { inputs: [{ data: NumberList { values: Float64Array [1, 2.5, ...], length: 2 } }] }
 */
export function parseRequestJson(bytes: Uint8Array, end: number): unknown {
  const reader = new Reader(bytes, end);
  try {
    reader.skipSpace();
    const value = reader.value();
    reader.skipSpace();
    if (reader.position !== end) return undefined;
    return value;
  } catch (error) {
    if (error === giveUp) return undefined;
    throw error;
  }
}

/**
 * Where `numbers()` gathers values before copying out exactly as many as it read: one buffer for every
 * request (parsing is synchronous), grown when a request needs more, so that no request allocates its own.
 */
let scratch = new Float64Array(1024);

class Reader {
  position = 0;
  /** Objects and arrays open around the current position. */
  nesting = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly end: number,
  ) {}

  skipSpace(): void {
    const { bytes, end } = this;
    let position = this.position;
    while (position < end) {
      const code = bytes[position] as number;
      if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) break;
      position++;
    }
    this.position = position;
  }

  value(): unknown {
    const code = this.bytes[this.position];
    switch (code) {
      case 0x7b: // {
        return this.object();
      case 0x5b: // [
        return this.array();
      case 0x22: // "
        return this.string();
      case 0x74: // t
        return this.literal('true', true);
      case 0x66: // f
        return this.literal('false', false);
      case 0x6e: // n
        return this.literal('null', null);
      default:
        return this.number();
    }
  }

  literal(word: string, value: unknown): unknown {
    for (let i = 0; i < word.length; i++) {
      if (this.bytes[this.position + i] !== word.charCodeAt(i)) throw giveUp;
    }
    this.position += word.length;
    return value;
  }

  object(): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    if (++this.nesting > MAX_NESTING) throw giveUp;
    this.position++; // {
    this.skipSpace();
    if (this.bytes[this.position] === 0x7d) {
      this.position++;
      this.nesting--;
      return result;
    }
    for (;;) {
      this.skipSpace();
      if (this.bytes[this.position] !== 0x22) throw giveUp;
      const key = this.string();
      this.skipSpace();
      if (this.bytes[this.position] !== 0x3a) throw giveUp; // :
      this.position++;
      this.skipSpace();
      const value = key === 'data' && this.bytes[this.position] === 0x5b ? this.numbers() : this.value();
      if (key === '__proto__') throw giveUp;
      result[key] = value;
      this.skipSpace();
      const next = this.bytes[this.position];
      this.position++;
      if (next === 0x7d) {
        this.nesting--;
        return result; // }
      }
      if (next !== 0x2c) throw giveUp; // ,
    }
  }

  array(): unknown[] {
    const result: unknown[] = [];
    if (++this.nesting > MAX_NESTING) throw giveUp;
    this.position++; // [
    this.skipSpace();
    if (this.bytes[this.position] === 0x5d) {
      this.position++;
      this.nesting--;
      return result;
    }
    for (;;) {
      this.skipSpace();
      result.push(this.value());
      this.skipSpace();
      const next = this.bytes[this.position];
      this.position++;
      if (next === 0x5d) {
        this.nesting--;
        return result; // ]
      }
      if (next !== 0x2c) throw giveUp;
    }
  }

  string(): string {
    const { bytes, end } = this;
    const start = this.position + 1;
    let position = start;
    while (position < end) {
      const code = bytes[position] as number;
      if (code === 0x22) break;
      if (code === 0x5c || code < 0x20) throw giveUp; // escapes and control characters: JSON.parse
      position++;
    }
    if (position >= end) throw giveUp;
    this.position = position + 1;
    return Buffer.prototype.toString.call(bytes, 'utf8', start, position);
  }

  /** A `data` array: numbers and nested arrays of numbers, flattened into one list. */
  numbers(): NumberList {
    const { bytes, end } = this;
    let numbers = scratch;
    let count = 0;
    let depth = 0;
    let deepest = 0;
    let expectValue = true;
    let position = this.position;
    for (;;) {
      let code = bytes[position] as number;
      while (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09)
        code = bytes[++position] as number;
      if (position >= end) throw giveUp;
      if (code === 0x2c) {
        if (expectValue) throw giveUp;
        expectValue = true;
        position++;
      } else if (code === 0x5b) {
        if (!expectValue) throw giveUp;
        depth++;
        if (depth > deepest) deepest = depth;
        position++;
        let next = bytes[position] as number;
        while (next === 0x20 || next === 0x0a || next === 0x0d || next === 0x09)
          next = bytes[++position] as number;
        if (next === 0x5d) {
          // An empty array: a value, no numbers.
          position++;
          depth--;
          expectValue = false;
          if (depth === 0) break;
        }
      } else if (code === 0x5d) {
        if (expectValue) throw giveUp;
        depth--;
        position++;
        if (depth === 0) break;
      } else {
        if (!expectValue) throw giveUp;
        if (count === numbers.length) {
          const grown = new Float64Array(count * 2);
          grown.set(numbers);
          numbers = grown;
          scratch = grown;
        }
        // Plain decimals of up to 15 significant digits (UINT8 pixels, "0.37", "-1.5") without a call:
        // the mantissa and 10^fraction are exact doubles, so one division rounds as JSON.parse does.
        // Exponents, longer numbers and anything unusual go to number().
        let cursor = position;
        const negative = code === 0x2d;
        if (negative) code = bytes[++cursor] as number;
        let mantissa = code - 0x30;
        let significant = mantissa === 0 ? 0 : 1;
        let fraction = 0;
        if (mantissa >= 0 && mantissa <= 9) {
          let next = bytes[++cursor] as number;
          if (mantissa !== 0) {
            while (next >= 0x30 && next <= 0x39) {
              mantissa = mantissa * 10 + (next - 0x30);
              significant++;
              next = bytes[++cursor] as number;
            }
          }
          if (next === 0x2e) {
            next = bytes[++cursor] as number;
            while (next >= 0x30 && next <= 0x39) {
              mantissa = mantissa * 10 + (next - 0x30);
              if (mantissa !== 0) significant++;
              fraction++;
              next = bytes[++cursor] as number;
            }
          }
          if (
            significant <= 15 &&
            fraction <= 22 &&
            next !== 0x65 &&
            next !== 0x45 &&
            bytes[cursor - 1] !== 0x2e &&
            !(next >= 0x30 && next <= 0x39) &&
            cursor <= end
          ) {
            const magnitude = fraction === 0 ? mantissa : mantissa / (POWERS[fraction] as number);
            numbers[count++] = negative ? -magnitude : magnitude;
            position = cursor;
            expectValue = false;
            continue;
          }
        }
        this.position = position;
        numbers[count++] = this.number();
        position = this.position;
        expectValue = false;
      }
    }
    this.position = position;
    return new NumberList(numbers.slice(0, count), count, deepest);
  }

  /** A JSON number, exactly as `JSON.parse` reads it when it has ≤ 15 significant digits. */
  number(): number {
    const { bytes, end } = this;
    let position = this.position;
    let negative = false;
    if (bytes[position] === 0x2d) {
      negative = true;
      position++;
    }
    let mantissa = 0;
    let digits = 0;
    let scale = 0;
    const first = bytes[position];
    if (first === 0x30) {
      position++;
    } else if (first !== undefined && first >= 0x31 && first <= 0x39) {
      while (position < end) {
        const code = bytes[position] as number;
        if (code < 0x30 || code > 0x39) break;
        mantissa = mantissa * 10 + (code - 0x30);
        if (mantissa !== 0) digits++;
        position++;
      }
    } else {
      throw giveUp;
    }
    if (bytes[position] === 0x2e) {
      position++;
      const start = position;
      while (position < end) {
        const code = bytes[position] as number;
        if (code < 0x30 || code > 0x39) break;
        mantissa = mantissa * 10 + (code - 0x30);
        if (mantissa !== 0) digits++;
        scale--;
        position++;
      }
      if (position === start) throw giveUp;
    }
    const marker = bytes[position];
    if (marker === 0x65 || marker === 0x45) {
      position++;
      let exponentNegative = false;
      if (bytes[position] === 0x2b || bytes[position] === 0x2d) {
        exponentNegative = bytes[position] === 0x2d;
        position++;
      }
      const start = position;
      let exponent = 0;
      while (position < end) {
        const code = bytes[position] as number;
        if (code < 0x30 || code > 0x39) break;
        exponent = exponent * 10 + (code - 0x30);
        if (exponent > 400) throw giveUp;
        position++;
      }
      if (position === start) throw giveUp;
      scale += exponentNegative ? -exponent : exponent;
    }
    // Up to 15 significant digits the mantissa (< 2^53) and 10^|scale| (≤ 10^22) are exact doubles, so one
    // division or multiplication rounds once: the correctly rounded double JSON.parse gives. Longer numbers
    // (how float32 values print as doubles) are left to JSON.parse, which is faster for them than Number().
    if (digits > 15 || scale < -22 || scale > 22) throw giveUp;
    this.position = position;
    const magnitude =
      scale < 0 ? mantissa / (POWERS[-scale] as number) : mantissa * (POWERS[scale] as number);
    return negative ? -magnitude : magnitude;
  }
}
