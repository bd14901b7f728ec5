// Connection uids shaped like Zeek's ("C" + base62). Drawn from a seeded generator so a run can be
// reproduced exactly (--seed), and from a random seed otherwise so that sensors never collide.

import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ALPHABET_CODES = Array.from(ALPHABET, (ch) => ch.charCodeAt(0));
/** 17 base62 characters carry ~101 bits, like Zeek's 96-bit uids. */
const UID_CHARS = 17;

export class UidGenerator {
  private a: number;
  private b: number;

  constructor(seed?: number) {
    if (seed === undefined) {
      const r = randomBytes(8);
      this.a = r.readUInt32LE(0) | 1;
      this.b = r.readUInt32LE(4) | 1;
    } else {
      this.a = (seed ^ 0x9e3779b9) | 1;
      this.b = (Math.imul(seed, 0x85ebca6b) ^ 0xc2b2ae35) | 1;
    }
  }

  /** xorshift32 pair: cheap, and 64 bits of state keep sequences of different seeds apart. */
  private next(): number {
    let x = this.a;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.a = x;
    let y = this.b;
    y ^= y << 11;
    y ^= y >>> 19;
    y ^= y << 7;
    this.b = y;
    return ((x ^ (y >>> 3)) >>> 0) % 62;
  }

  /** Builds the uid from char codes in one call (17 string concatenations cost more per connection). */
  next62(prefix: string): string {
    const c = this.codes;
    for (let i = 0; i < UID_CHARS; i++) c[i] = ALPHABET_CODES[this.next()];
    return prefix + String.fromCharCode(...c);
  }

  private readonly codes: number[] = new Array(UID_CHARS).fill(48);
}
